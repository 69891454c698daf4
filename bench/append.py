"""What commit-ordered global positions cost: appends/s, append latency and reader visibility, per design.

    make bench-designs
    .venv/bin/python bench/append.py [--server URL] [--writers 1,4,16,64] [--appends 1000] [--seconds 3]
                                     [--tickets 200]

Creates one fresh database per design on the server of --server (default: TEST_DATABASE_URL, DATABASE_URL or
postgresql://postgres@127.0.0.1:5432/postgres), runs the same workload against each (designs.py, workload.py),
interleaved so that drift in the machine's load hits them alike, prints one table, and drops the databases.
Every scenario stops after --appends appends or --seconds seconds, whichever comes first. Measures, never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from designs import DESIGNS
from workload import Result, run

from ticket_eventstore import migrations
from ticket_eventstore.postgres import create_pool

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
HEADER = (
    f"{'design':<16} {'writers':>7} {'appends/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'vs base':>7}   "
    f"{'visible p50':>11} {'p99 ms':>7} {'missed':>6}"
)


def row(design: str, writers: int, r: Result, baseline: float) -> str:
    return (
        f"{design:<16} {writers:>7} {r.rate:>9.0f} {r.latency_ms(0.5):>7.2f} {r.latency_ms(0.99):>7.2f} "
        f"{r.rate / baseline:>7.2f}   {r.visible_ms(0.5):>11.2f} {r.visible_ms(0.99):>7.2f} {r.missed:>6}"
    )


def database_url(server: str, name: str) -> str:
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


async def migrate(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        if schema:
            await conn.execute(schema)
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_SERVER
    parser.add_argument("--server", default=default, help="where to create the scratch databases")
    parser.add_argument("--writers", default="1,4,16,64", help="comma-separated concurrent writer counts")
    parser.add_argument("--appends", type=int, default=1000, help="appends per scenario (at most)")
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per scenario (at most)")
    parser.add_argument("--tickets", type=int, default=200, help="tickets per scenario, shared out among writers")
    args = parser.parse_args()
    counts = [int(w) for w in args.writers.split(",")]

    began = time.perf_counter()
    admin = await asyncpg.connect(args.server)
    names: list[str] = []
    try:
        for design in DESIGNS:  # one fresh database per design
            names.append(f"bench_append_{uuid.uuid4().hex[:10]}")
            await admin.execute(f'CREATE DATABASE "{names[-1]}"')
            await migrate(database_url(args.server, names[-1]), design.schema)
        version = await admin.fetchval("SHOW server_version")
        sync = await admin.fetchval("SHOW synchronous_commit")
        print(
            f"PostgreSQL {version} (synchronous_commit={sync}), {os.cpu_count()} cores; per scenario: "
            f"{args.tickets} new tickets, up to {args.appends} appends or {args.seconds:g}s, 1 event per append"
        )
        print(HEADER)
        for writers in counts:
            baseline = None
            for design, name in zip(DESIGNS, names, strict=True):
                size = writers + 1  # one connection per writer, one for the reader
                pool = await create_pool(database_url(args.server, name), min_size=size, max_size=size)
                try:
                    store = design.store(pool)
                    await run(store, pool, writers=writers, tickets=writers, appends=2 * writers, seconds=1)  # warm-up
                    r = await run(
                        store, pool, writers=writers, tickets=args.tickets, appends=args.appends, seconds=args.seconds
                    )
                finally:
                    await pool.close()
                baseline = baseline or r.rate
                print(row(design.name, writers, r, baseline), flush=True)
        print(
            f"done in {time.perf_counter() - began:.0f}s. baseline: no ordering, UNSAFE for position readers; "
            "missed = committed events its reader skipped for good.\n"
            "visible = from the first sign an event committed (its append returned, or the reader's snapshot held it) "
            "to a safe reader, polling every ms, reading it. vs base = appends/s over the baseline's, same writers."
        )
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
