"""Real PostgreSQL for the dispatcher's core: the webhooks schema, an event store holding a few tickets' events,
a receiver on loopback, and dispatchers to start and stop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import pytest

from tests.support.events import event
from ticket_eventstore import migrations
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_migrations.postgres import apply
from ticket_privacy.postgres import COMPONENT as PRIVACY
from ticket_privacy.postgres import privacy_migrations
from ticket_webhooks.dispatcher import Dispatcher
from ticket_webhooks.endpoints import Endpoints
from ticket_webhooks.migrations import WEBHOOKS, webhooks_migrations
from ticket_webhooks.queue import Policy, Queue
from ticket_webhooks.sealing import Sealer
from ticket_webhooks.sender import Sender
from ticket_workflow import Event

SEALER = Sealer(b"integration-webhooks-key-32bytes")


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 30.0) -> None:
    """Wait until ``check`` holds (a bound against hanging, not a speed assertion)."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - polls another thread's state
            await asyncio.sleep(0.02)


@dataclass
class Receiver:
    """Records each POST's path, headers and body; answers ``status`` (204 by default)."""

    status: int = 204
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            made.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(made.status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    made.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=made.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield made
    finally:
        made.server.shutdown()
        made.server.server_close()


@dataclass
class Core:
    pool: asyncpg.Pool
    store: PostgresEventStore
    queue: Queue
    endpoints: Endpoints

    async def append(self, *lives: tuple[str, int]) -> list[Event]:
        """Append versions 1..n of each (ticket, n), interleaved by version."""
        stored: list[Event] = []
        for version in range(1, max(n for _, n in lives) + 1):
            for ticket, n in lives:
                if version <= n:
                    stored += await self.store.append(ticket, version - 1, [event(ticket, version)])
        return stored

    async def endpoint(self, url: str, event_types: list[str] | None = None, from_position: int = 0) -> str:
        endpoint_id = Endpoints.new_id()
        await self.endpoints.create(
            url=url,
            event_types=event_types or ["*"],
            description="",
            sealed=SEALER.seal("whsec_" + "A" * 44, endpoint_id),
            endpoint_id=endpoint_id,
            actor="ada",
            from_position=from_position,
        )
        return endpoint_id

    def dispatcher(self, *, allow_private: bool = True, schedule: tuple[float, ...] = (0.05,), **kw: Any) -> Dispatcher:
        sender = Sender(timeout=2.0, allow_private=allow_private)
        policy = kw.pop("policy", Policy(failures=20, hours=24))
        return Dispatcher(
            self.queue, self.store, SEALER, sender, schedule=schedule, policy=policy, poll_seconds=0.05, **kw
        )


@pytest.fixture
async def core(database_url: str) -> AsyncIterator[Core]:
    pool = await create_pool(database_url, max_size=8)
    async with pool.acquire() as conn:
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        await migrations.apply(conn, PRIVACY, privacy_migrations())  # personal data keys
        await apply(conn, WEBHOOKS, webhooks_migrations())
    try:
        yield Core(pool, PostgresEventStore(pool), Queue(pool), Endpoints(pool))
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def running(dispatcher: Dispatcher) -> AsyncIterator[Dispatcher]:
    task = asyncio.create_task(dispatcher.run())
    try:
        yield dispatcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await dispatcher.sender.close()
