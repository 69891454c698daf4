"""The command API's metrics on PostgreSQL and Redis: the relay's gauges and published events, the group commit,
the event store's pool; the relay's lag in seconds and its failed rounds; a pool's acquires waiting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis

from tests.conftest import RedisNamespace
from tests.support.command_api import Desk, serving, settings
from tests.support.events import events
from tests.support.ids import ticket_id
from tests.support.metrics import Sample, moved, scrape, value
from tests.support.waiting import eventually
from ticket_command.app import create_app
from ticket_eventstore.pools import pool_stats
from ticket_eventstore.postgres import PostgresEventStore, create_pool

from .conftest import Relays
from .proxy import free_port


def relaying(url: str, redis_url: str, stream: str, **overrides: Any) -> Any:
    options = {"relay_poll_interval": 0.1, "relay_election_interval": 0.1, "relay_max_backoff": 0.2}
    return settings(
        database_url=url, redis_url=redis_url, event_stream=stream, relay_enabled=True, **(options | overrides)
    )


async def test_commands_move_the_relay_and_store_metrics(
    migrated_url: str, redis_namespace: RedisNamespace, redis_client: aioredis.Redis
) -> None:
    stream = redis_namespace.key("metrics-events")
    async with serving(create_app(relaying(migrated_url, redis_namespace.url, stream))) as client:
        desk = Desk(client)
        before = await scrape(client)
        ticket = (await desk.create())["aggregate_id"]
        assigned = (await desk.fire("assign", ticket, desk.agent)).json()
        last = float(assigned["position"])
        after: dict[Sample, float] = {}

        async def caught_up() -> bool:
            nonlocal after
            after = await scrape(client)
            return value(after, "ticket_relay_published_position") == last

        await eventually(caught_up, what="the relay's gauges to show the last position published")
        assert value(after, "ticket_relay_leader") == 1
        assert value(after, "ticket_relay_store_position") == last
        assert value(after, "ticket_relay_behind_positions") == 0
        assert value(after, "ticket_relay_behind_seconds") == 0
        assert value(after, "ticket_relay_rounds_failed_total") == 0
        assert moved(before, after, "ticket_relay_events_published_total") == 2
        assert moved(before, after, "ticket_group_commit_appends_count") == 2  # one append per batch, unhurried
        assert moved(before, after, "ticket_append_events_count") == 2
        assert value(after, "ticket_db_pool_connections_max", pool="event_store") == 10
        assert value(after, "ticket_db_pool_connections", pool="event_store") >= 1
        assert ("ticket_db_pool_acquires_waiting", frozenset({("pool", "event_store")})) in after


async def test_failed_rounds_are_counted_while_redis_is_unreachable(
    migrated_url: str, redis_namespace: RedisNamespace
) -> None:
    app = create_app(relaying(migrated_url, f"redis://127.0.0.1:{free_port()}/0", redis_namespace.key("events")))
    async with serving(app) as client:
        await Desk(client).create()

        async def failing() -> bool:
            samples = await scrape(client)
            return (
                value(samples, "ticket_relay_rounds_failed_total") >= 2 and value(samples, "ticket_relay_leader") == 1
            )

        await eventually(failing, what="the relay's failed rounds to be counted")


async def test_the_relay_behind_in_seconds_is_the_age_of_the_oldest_unpublished_event(
    pg_store: PostgresEventStore, relays: Relays
) -> None:
    relay = relays.start()
    sid = ticket_id()
    aged = [e.model_copy(update={"timestamp": datetime.now(UTC) - timedelta(minutes=5)}) for e in events(sid, 1, 2)]
    stored = await pg_store.append(sid, 0, aged)
    assert stored[0].position is not None
    # The store's position is ahead of what the stream holds: the age of the first event missing, in seconds.
    behind = await relay._behind_seconds(stored[0].position - 1, stored[-1].position or 0)
    assert 300 <= behind < 400
    assert await relay._behind_seconds(stored[-1].position or 0, stored[-1].position or 0) == 0
    await eventually(
        lambda: _true(relay.status.leader and relay.status.published_position == stored[-1].position),
        what="the relay to publish",
    )
    assert relay.status.behind_seconds == 0


async def test_a_pool_counts_the_acquires_waiting_for_a_connection(migrated_url: str) -> None:
    pool = await create_pool(migrated_url, min_size=1, max_size=1, name="metrics_probe")
    held = await pool.acquire()
    waiter = asyncio.create_task(pool.fetchval("SELECT 1"))
    try:

        async def waiting(count: int) -> bool:
            probe = next(s for s in pool_stats() if s.name == "metrics_probe")
            return (probe.in_use, probe.waiting) == (1, count)

        await eventually(lambda: waiting(1), within=10, what="the second acquire to wait")
        await pool.release(held)
        assert await waiter == 1
        await eventually(lambda: _settled(pool), within=10, what="the served acquire to give its connection back")
        probe = next(s for s in pool_stats() if s.name == "metrics_probe")
        assert (probe.size, probe.max_size, probe.in_use, probe.waiting) == (1, 1, 0, 0)
    finally:
        waiter.cancel()
        pool.terminate()  # never waits for a connection a failed test left lent out
    assert all(s.name != "metrics_probe" for s in pool_stats())  # a closed pool is not reported


async def _settled(pool: Any) -> bool:
    return bool(pool.get_idle_size() == 1)


async def _true(value: bool) -> bool:
    return value
