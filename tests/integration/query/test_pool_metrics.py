"""The query API's read connections as the pool metrics report them: open, lent out and readers waiting, and
nothing once closed."""

from __future__ import annotations

import asyncio

from tests.support.waiting import eventually
from ticket_eventstore.pools import PoolStats, pool_stats
from ticket_query.connections import ReadConnections


def read_model() -> PoolStats | None:
    return next((s for s in pool_stats() if s.name == "read_model"), None)


async def test_connections_lent_out_and_readers_waiting_are_reported(database_url: str) -> None:
    connections = await ReadConnections.open(database_url, size=2)
    try:
        assert read_model() == PoolStats("read_model", 1, 2, 0, 0)
        release = asyncio.Event()

        async def hold() -> None:
            async with connections.acquire():
                await release.wait()

        holders = [asyncio.create_task(hold()) for _ in range(2)]
        waiting = [asyncio.create_task(connections.fetchval("SELECT 1")) for _ in range(3)]

        async def saturated() -> bool:
            return read_model() == PoolStats("read_model", 2, 2, 2, 3)

        await eventually(saturated, what="two connections lent out and three readers waiting")
        release.set()
        assert await asyncio.gather(*waiting) == [1, 1, 1]
        await asyncio.gather(*holders)
        assert read_model() == PoolStats("read_model", 2, 2, 0, 0)
    finally:
        await connections.close()
    assert read_model() is None
