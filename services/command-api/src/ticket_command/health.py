"""The command API's readiness checks (``/ready``, ``/health`` come from the shell: :mod:`ticket_service.shell`).

PostgreSQL answers, its migrations are applied, and the relay task runs (its ending also fails ``/health``, so
that the orchestrator restarts a replica that would otherwise never publish again); or, for a store the host
opened, the store answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import asyncpg

from ticket_eventstore import migrations
from ticket_eventstore.relay import Relay
from ticket_service.shell import NotReady, ReadinessCheck
from ticket_workflow.ports import EventStore

T = TypeVar("T")


class Opened(Generic[T]):
    """What the lifespan opened, for the checks to read; ``not_ready`` until then and after."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._value: T | None = None

    @contextlib.contextmanager
    def holding(self, value: T) -> Iterator[None]:
        self._value = value
        try:
            yield
        finally:
            self._value = None

    def get(self) -> T:
        if self._value is None:
            raise NotReady(f"{self.what} is not open", status="starting")
        return self._value

    def peek(self) -> T | None:
        return self._value


def postgres_check(pool: Opened[asyncpg.Pool]) -> ReadinessCheck:
    async def check() -> Any:
        async with pool.get().acquire() as conn:
            await conn.fetchval("SELECT 1")
        return "ok"

    return ReadinessCheck("postgres", check)


def migrations_check(pool: Opened[asyncpg.Pool]) -> ReadinessCheck:
    async def check() -> Any:
        async with pool.get().acquire() as conn:
            pending = await migrations.pending(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        if pending:
            names = [f"{m.version:03d}_{m.name}" for m in pending]
            raise NotReady(f"migrations pending: {', '.join(names)}", pending=names)
        return "ok"

    return ReadinessCheck("migrations", check)


def store_check(store: Callable[[], EventStore]) -> ReadinessCheck:
    async def check() -> Any:
        return {"last_position": await store().last_position()}

    return ReadinessCheck("event_store", check)


def relay_check(running: Opened[tuple[Relay, asyncio.Task[None]]]) -> ReadinessCheck:
    """Ready while the relay task runs, as leader or standby. A leader retrying because Redis is down is still
    ready (commands are accepted and will be published); its ``last_error`` and ``lag`` say so."""

    async def check() -> Any:
        relay, task = running.get()
        status = relay.status.as_dict()
        if task.done() or not relay.status.running:
            raise NotReady("the relay task is not running", **status)
        return status

    def dead() -> str | None:
        """Once the task has ended on its own (cancelled at shutdown does not count)."""
        opened = running.peek()
        if opened is None or not opened[1].done() or opened[1].cancelled():
            return None
        return f"background task ended: {opened[1].get_name()!r}"

    return ReadinessCheck("relay", check, dead=dead)
