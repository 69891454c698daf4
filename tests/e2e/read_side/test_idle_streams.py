"""Two hundred idle live-update clients on a real query API process cost the database (next to) nothing: the
process listens for the projection's checkpoint instead of polling, and wakes every stream when it moves."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import httpx

from tests.e2e.read_side.test_read_side import BIN, SECRET, auth, free_port, service, until_ok
from tests.support.scenarios import Ticket, interleaved
from ticket_eventstore.postgres import create_pool
from ticket_projector.projector import Projector
from ticket_readmodel.postgres import PostgresReadModel

CLIENTS = 200
IDLE_SECONDS = 3.0


async def transactions(database_url: str) -> int:
    """Transactions of the test database so far (every query outside a transaction block is one)."""
    conn = await asyncpg.connect(database_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
            )
        )
    finally:
        await conn.close()


async def first_change(http: httpx.AsyncClient, url: str, connected: asyncio.Event, count: list[int]) -> str:
    async with http.stream("GET", url, headers=auth("bob", "agent")) as response:
        assert response.status_code == 200
        count[0] += 1
        if count[0] == CLIENTS:
            connected.set()
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                return line
    raise AssertionError("the stream ended without a change")


async def test_idle_streams_cost_the_database_nothing(database_url: str, tmp_path: Path) -> None:
    pool = await create_pool(database_url, max_size=2)
    read_model = PostgresReadModel(pool, "read_model")
    await read_model.migrate()
    port = free_port()
    env = {"DATABASE_URL": database_url, "JWT_SECRET": SECRET, "HOST": "127.0.0.1", "PORT": str(port)}
    try:
        with service([str(BIN / "ticket-query-api"), "serve"], env | {"LOG_LEVEL": "WARNING"}, tmp_path / "q.log"):
            base = f"http://127.0.0.1:{port}"
            await until_ok(f"{base}/ready", tmp_path / "q.log")
            limits = httpx.Limits(max_connections=CLIENTS + 10)
            async with httpx.AsyncClient(timeout=60, limits=limits) as http:
                connected, count = asyncio.Event(), [0]
                streams = [
                    asyncio.create_task(first_change(http, f"{base}/api/stream", connected, count))
                    for _ in range(CLIENTS)
                ]
                async with asyncio.timeout(60):
                    await connected.wait()
                await asyncio.sleep(1.5)  # statistics of the connections' start settle (flushed once a second)
                before = await transactions(database_url)
                await asyncio.sleep(IDLE_SECONDS)
                during = await transactions(database_url) - before
                # Before the listener: 200 streams x 4 polls a second. Now: the two statistics reads above.
                assert during < 10 * IDLE_SECONDS, f"{during} transactions in {IDLE_SECONDS}s of idle streams"

                ticket = Ticket(requester="alice")
                ticket.create(subject="Seen by every idle stream")
                await Projector(read_model).apply(interleaved([ticket]))
                async with asyncio.timeout(30):
                    changes = await asyncio.gather(*streams)
                assert all("Seen by every idle stream" in change for change in changes)
    finally:
        await pool.close()
