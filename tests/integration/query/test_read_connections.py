"""The query API's read connections: never more than their number, a failed or cancelled use never hands a
broken connection to the next reader, and a connection the server dropped is replaced."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import cast

import asyncpg
import pytest

from tests.integration.query.conftest import BusyDay
from ticket_query.connections import ReadConnections
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.read_model import TicketQuery


@pytest.fixture
async def connections(database_url: str) -> AsyncIterator[ReadConnections]:
    pool = await ReadConnections.open(database_url, size=3)
    yield pool
    await pool.close()


async def backends(database_url: str) -> list[int]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [r["pid"] for r in rows]
    finally:
        await conn.close()


async def test_many_readers_share_a_bounded_number_of_connections(
    connections: ReadConnections, database_url: str
) -> None:
    answers = await asyncio.gather(*(connections.fetchval("SELECT $1::int FROM pg_sleep(0.01)", n) for n in range(60)))
    assert answers == list(range(60))
    assert len(await backends(database_url)) <= 3
    row = await connections.fetchrow("SELECT 1 AS one")
    assert row is not None and dict(row) == {"one": 1}
    assert [dict(r) for r in await connections.fetch("SELECT generate_series(1, 2) AS n")] == [{"n": 1}, {"n": 2}]


async def test_a_failed_or_cancelled_read_does_not_poison_the_next(connections: ReadConnections) -> None:
    with pytest.raises(asyncpg.PostgresError):
        await connections.fetchval("SELECT 1 / 0")
    slow = asyncio.create_task(connections.fetchval("SELECT pg_sleep(5)"))
    await asyncio.sleep(0.2)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    assert await asyncio.gather(*(connections.fetchval("SELECT $1::int", n) for n in range(10))) == list(range(10))


async def test_a_connection_dropped_by_the_server_is_replaced(connections: ReadConnections, database_url: str) -> None:
    await asyncio.gather(*(connections.fetchval("SELECT pg_sleep(0.05)") for _ in range(3)))
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    finally:
        await admin.close()
    await asyncio.sleep(0.2)
    failures = 0
    for n in range(6):  # a dropped connection fails the one read that finds it, and no other
        try:
            assert await connections.fetchval("SELECT $1::int", n) == n
        except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, ConnectionError):
            failures += 1
    assert failures <= 3
    assert await connections.fetchval("SELECT 42") == 42


async def test_waiting_readers_get_a_connection_as_soon_as_one_is_free(database_url: str) -> None:
    pool = await ReadConnections.open(database_url, size=1)
    try:
        holding = pool.acquire()
        conn = await holding.__aenter__()
        waiting = asyncio.create_task(pool.fetchval("SELECT 7"))
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await holding.__aexit__(None, None, None)
        assert await asyncio.wait_for(waiting, 2.0) == 7
        assert not conn.is_closed()
    finally:
        await pool.close()


async def test_the_read_model_reads_through_them(connections: ReadConnections, busy: BusyDay) -> None:
    written, tickets = busy.read_model, busy.tickets
    read = PostgresReadModel(cast(asyncpg.Pool, connections), "read_model")
    assert await read.checkpoint() == await written.checkpoint()
    assert await read.ticket(tickets[0].ticket_id) == await written.ticket(tickets[0].ticket_id)
    assert (await read.list_ticket_rows(TicketQuery(limit=2))).next_cursor is not None
    assert len(await read.history(tickets[1].ticket_id)) == len(tickets[1].events)
    assert (await read.stats()).total == len(tickets)
