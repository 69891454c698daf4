"""Real PostgreSQL (a fresh, migrated database per test) and a Redis stream name in the test's namespace."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import redis.asyncio as aioredis

from tests.conftest import RedisNamespace
from ticket_eventstore import migrations
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_eventstore.relay import Relay, RelaySettings
from ticket_privacy.postgres import COMPONENT as PRIVACY
from ticket_privacy.postgres import privacy_migrations


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    conn = await asyncpg.connect(database_url)
    try:
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        await migrations.apply(conn, PRIVACY, privacy_migrations())  # personal data keys
    finally:
        await conn.close()
    return database_url


@pytest.fixture
async def pg_store(migrated_url: str) -> AsyncIterator[PostgresEventStore]:
    pool = await create_pool(migrated_url, max_size=20)
    yield PostgresEventStore(pool)
    await pool.close()


@pytest.fixture
def stream(redis_namespace: RedisNamespace) -> str:
    return redis_namespace.key("events")


class Relays:
    """Starts relays (as background tasks) on the test's database and stream; stops them all afterwards."""

    def __init__(self, url: str, store: PostgresEventStore, redis: aioredis.Redis, stream: str) -> None:
        self.url, self.store, self.redis, self.stream = url, store, redis, stream
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.clients: list[aioredis.Redis] = []

    def start(self, redis_url: str | None = None, *, decode_responses: bool = True, **overrides: Any) -> Relay:
        """A relay on its own Redis client when ``redis_url`` is given; ``decode_responses=False`` is what the
        service uses (replies as bytes)."""
        redis = self.redis
        if redis_url is not None:
            redis = aioredis.from_url(
                redis_url, decode_responses=decode_responses, socket_connect_timeout=1, socket_timeout=2
            )
            self.clients.append(redis)
        options: dict[str, Any] = {
            "stream": self.stream,
            "poll_interval": 0.1,
            "election_interval": 0.1,
            "max_backoff": 0.2,
        }
        url = self.url
        relay = Relay(lambda: asyncpg.connect(url), self.store, redis, RelaySettings(**(options | overrides)))
        self.tasks[id(relay)] = asyncio.create_task(relay.run())
        return relay

    async def stop(self, relay: Relay) -> None:
        task = self.tasks.pop(id(relay))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        # A relay that ignores its cancellation is a bug to report, not a test run that never ends.
        _, running = await asyncio.wait(self.tasks.values(), timeout=30)
        assert not running, f"{len(running)} relay(s) did not stop when cancelled"
        for client in self.clients:
            await client.aclose()


@pytest.fixture
async def relays(
    migrated_url: str, pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> AsyncIterator[Relays]:
    relays = Relays(migrated_url, pg_store, redis_client, stream)
    yield relays
    await relays.close()
