"""Real PostgreSQL and Redis for the projector: an event store, a namespaced stream, a runtime to start."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import pytest
import redis.asyncio as aioredis

from tests.conftest import RedisNamespace
from ticket_eventstore import migrations, stream
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_privacy.postgres import COMPONENT as PRIVACY
from ticket_privacy.postgres import privacy_migrations
from ticket_projector.runtime import Runtime
from ticket_projector.settings import ProjectorSettings
from ticket_readmodel.postgres import PostgresReadModel
from ticket_workflow import Event


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float = 30.0) -> None:
    """Wait until ``check`` holds (a bound against hanging, not a speed assertion)."""
    async with asyncio.timeout(within):
        while not await check():  # noqa: ASYNC110 - polls another process's state, nothing to wait on
            await asyncio.sleep(0.02)


@dataclass
class Harness:
    settings: ProjectorSettings
    pool: asyncpg.Pool
    store: PostgresEventStore
    read_model: PostgresReadModel
    redis: aioredis.Redis

    async def append(self, events: list[Event]) -> list[Event]:
        stored: list[Event] = []
        for event in events:
            stored += await self.store.append(event.stream_id, event.version - 1, [event])
        return stored

    async def publish(self, events: list[Event], *, entry_id: str | None = None) -> None:
        """XADD each event with the relay's entry id (or ``entry_id``, to deliver a duplicate)."""
        for event in events:
            entry = entry_id or stream.entry_id(event.position or 0)
            await self.redis.xadd(self.settings.event_stream, stream.encode(event), id=entry)  # type: ignore[arg-type]

    async def pending(self) -> int:
        summary = await self.redis.xpending(self.settings.event_stream, self.settings.projector_group)
        return int(summary["pending"])

    async def projected(self, position: int | None) -> None:
        await eventually(lambda: self._at_least(position or 0))

    async def _at_least(self, position: int) -> bool:
        return await self.read_model.checkpoint() >= position

    @contextlib.asynccontextmanager
    async def running(self, **overrides: object) -> AsyncIterator[Runtime]:
        runtime = Runtime(self.settings.model_copy(update=overrides))
        await runtime.start()
        try:
            yield runtime
        finally:
            await runtime.stop()


@pytest.fixture
async def harness(
    database_url: str, redis_namespace: RedisNamespace, redis_client: aioredis.Redis
) -> AsyncIterator[Harness]:
    pool = await create_pool(database_url, max_size=6)
    async with pool.acquire() as conn:
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        await migrations.apply(conn, PRIVACY, privacy_migrations())  # personal data keys
    settings = ProjectorSettings(
        database_url=database_url,
        redis_url=redis_namespace.url,
        event_stream=redis_namespace.key("events"),
        projector_group=redis_namespace.key("projector"),
        consumer_name=redis_namespace.key("replica-1"),
        read_model_schema="read_model",
        retry_delay_seconds=0.01,
        claim_idle_ms=600_000,
    )
    read_model = PostgresReadModel(pool, settings.read_model_schema)
    await read_model.migrate()
    yield Harness(settings, pool, PostgresEventStore(pool), read_model, redis_client)
    await pool.close()
