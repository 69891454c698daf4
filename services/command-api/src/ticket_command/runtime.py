"""What the command routes need (:class:`Parts`), and where the event store comes from (:class:`StoreSource`).

``Parts`` is built from settings by :func:`ticket_command.app.build_parts` (or by a host such as the embedded
app) without connecting anything; :func:`ticket_command.app.install` enters :meth:`Parts.open` in the app's
lifespan, which opens the store source and serves commands on it until shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Protocol

import asyncpg
from fastapi import Request
from redis.asyncio import Redis

from ticket_eventstore import migrations
from ticket_eventstore.ports import CommandStore
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_eventstore.relay import Relay
from ticket_privacy import Privacy, SealingStore, key_encryption_key
from ticket_privacy.postgres import COMPONENT as PRIVACY
from ticket_privacy.postgres import PostgresKeyStore, privacy_migrations
from ticket_service.auth import TokenVerifier
from ticket_service.shell import ReadinessCheck
from ticket_workflow.ports import StoreUnavailable

from . import health
from .handling import CommandService
from .metrics import CommandMetrics
from .settings import Settings
from .telemetry import RelayTelemetry


class StoreSource(Protocol):
    """Opens the event store for the app's lifetime, and says how ``/ready`` checks it."""

    def open(self) -> AbstractAsyncContextManager[CommandStore]: ...

    def checks(self) -> list[ReadinessCheck]: ...


@dataclass
class Parts:
    verifier: TokenVerifier
    source: StoreSource
    cached_tickets: int = 10_000
    event_stream: str | None = None  # serves /asyncapi.json describing this stream, when set
    mint_secret: str | None = None  # set only in debug mode: signs tokens of POST /api/debug/token
    metrics: CommandMetrics | None = None  # set by install, on the app's registry
    _service: CommandService | None = field(default=None, init=False, repr=False)

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        async with self.source.open() as store:
            self._service = CommandService(store, cached_tickets=self.cached_tickets, metrics=self.metrics)
            try:
                yield
            finally:
                self._service = None

    def commands(self) -> CommandService:
        if self._service is None:
            raise StoreUnavailable("the event store is not connected yet")
        return self._service


def runtime_of(request: Request) -> Parts:
    parts: Parts = request.app.state.commands
    return parts


@dataclass
class GivenStore:
    """A store the host opens (the embedded app's SQLite store, a test's): no pool, no relay, no Redis.

    ``store()`` returns it once the host has opened it (the host's lifespan is entered before this part's)."""

    store: Callable[[], CommandStore]

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[CommandStore]:
        yield self.store()

    def checks(self) -> list[ReadinessCheck]:
        return [health.store_check(self.store)]


class PostgresStore:
    """The PostgreSQL event store on ``DATABASE_URL`` (migrated first when ``MIGRATE_ON_START``), and the relay
    publishing to ``REDIS_URL`` unless ``RELAY_ENABLED=false``. Commands get the store through
    :class:`~ticket_privacy.SealingStore` (personal values sealed with the requester's key, opened on reading);
    the relay publishes what is stored, sealed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.privacy = Privacy(key_encryption_key(debug=settings.debug))  # refuses to build without a key
        self.pool = health.Opened[asyncpg.Pool]("the event store")
        self.relay = health.Opened[tuple[Relay, asyncio.Task[None]]]("the relay")

    def checks(self) -> list[ReadinessCheck]:
        checks = [health.postgres_check(self.pool), health.migrations_check(self.pool)]
        return checks + ([health.relay_check(self.relay)] if self.settings.relay_enabled else [])

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[CommandStore]:
        s, timeouts = self.settings, self.settings.timeouts()
        async with contextlib.AsyncExitStack() as stack:
            # min_size=0: the service starts (and answers 503) while Postgres is unreachable.
            pool = await create_pool(
                s.database_url,
                min_size=0,
                max_size=s.db_pool_max_size,
                timeout=s.db_connect_timeout,
                timeouts=timeouts,
                reset_sessions=False,  # commands leave no session state behind (transaction-scoped locks only)
                name="event_store",
            )
            stack.push_async_callback(pool.close)
            if s.migrate_on_start:
                async with pool.acquire() as conn:
                    await conn.execute("SET statement_timeout = 0")  # a migration may take longer than a command
                    try:
                        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
                        await migrations.apply(conn, PRIVACY, privacy_migrations())
                    finally:
                        await conn.execute("RESET statement_timeout")
            stack.enter_context(self.pool.holding(pool))
            store = PostgresEventStore(pool, acquire_timeout=timeouts.acquire, max_batch=s.append_max_batch)
            if s.relay_enabled:
                redis = Redis.from_url(s.redis_url, socket_connect_timeout=2, socket_timeout=5)
                stack.push_async_callback(redis.aclose)
                relay = Relay.for_dsn(s.database_url, store, redis, s.relay())
                relay.publisher.observers.append(RelayTelemetry(s.event_stream))
                task = asyncio.create_task(relay.run(), name="relay")
                stack.push_async_callback(_stop, task)
                stack.enter_context(self.relay.holding((relay, task)))
            self.privacy.keys = PostgresKeyStore(pool)
            yield SealingStore(store, self.privacy)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
