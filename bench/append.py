"""Appends per second of the PostgreSQL event store, sequential and with concurrent writers, on a fresh database.

    .venv/bin/python bench/append.py [--server postgresql://postgres@127.0.0.1:5432/postgres]
                                     [--appends 2000] [--writers 1,4,16,64]

Each append writes one event to a ticket (the shape of a transition), with the optimistic version check, the
commit-order append lock and the NOTIFY of the real store. Writers work on their own tickets, so every append
succeeds: what is measured is the cost of ordering commits, not of conflicts. Prints appends/s and latency
percentiles; the database is dropped afterwards. Measures, never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from ticket_eventstore import migrations
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_workflow import Event, EventMetadata

TYPES = ["Created", "Assigned", "StartWorked", "Resolveed", "Closeed", "Reopened"]


def event(stream_id: str, version: int) -> Event:
    now = datetime.now(UTC)
    return Event(
        id=str(uuid.uuid4()),
        stream_id=stream_id,
        type=TYPES[(version - 1) % len(TYPES)],
        version=version,
        timestamp=now,
        data={"aggregate_id": stream_id, "timestamp": now.isoformat(), "note": "benchmark"},
        metadata=EventMetadata(actor="bench", roles=("agent",), correlation_id=str(uuid.uuid4())),
    )


async def writer(store: PostgresEventStore, appends: int, tickets: int, latencies: list[float]) -> None:
    versions = {str(uuid.uuid4()): 0 for _ in range(tickets)}
    streams = list(versions)
    for n in range(appends):
        sid = streams[n % len(streams)]
        started = time.perf_counter()
        await store.append(sid, versions[sid], [event(sid, versions[sid] + 1)])
        latencies.append(time.perf_counter() - started)
        versions[sid] += 1


async def run(store: PostgresEventStore, writers: int, appends: int, *, report: bool = True) -> None:
    latencies: list[float] = []
    per_writer = max(1, appends // writers)
    started = time.perf_counter()
    await asyncio.gather(*(writer(store, per_writer, 10, latencies) for _ in range(writers)))
    elapsed = time.perf_counter() - started
    if not report:
        return
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    label = "sequential" if writers == 1 else f"{writers} concurrent writers"
    print(
        f"{label:>24}: {len(ms) / elapsed:8.0f} appends/s   "
        f"p50 {statistics.median(ms):6.2f} ms   p99 {p99:6.2f} ms   ({len(ms)} appends in {elapsed:.2f}s)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--server", default=os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    parser.add_argument("--appends", type=int, default=2000, help="appends per scenario")
    parser.add_argument("--writers", default="1,4,16,64", help="comma-separated writer counts")
    args = parser.parse_args()

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(args.server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(urlsplit(args.server)._replace(path=f"/{name}"))
    try:
        conn = await asyncpg.connect(url)
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
        counts = [int(w) for w in args.writers.split(",")]
        pool = await create_pool(url, min_size=1, max_size=max(counts))
        print(f"PostgreSQL {version}, fresh database {name}, {args.appends} appends per scenario, 1 event each")
        try:
            store = PostgresEventStore(pool)
            await run(store, 1, 100, report=False)  # warm-up: connections, plans
            for writers in counts:
                await run(store, writers, args.appends)
        finally:
            await pool.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
