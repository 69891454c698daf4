"""``make bench``: every performance figure of the system in one run, against its reference, in one table.

    make bench                     # about 3 minutes: 10 s per figure
    make bench-quick               # about 2 minutes: 5 s per figure
    .venv/bin/python bench/performance.py [--quick] [--seconds S] [--server URL] [--redis URL]

References first (raw appends with pgbench, a bare FastAPI + asyncpg app, the eventsourcing library), then our
services as real processes over HTTP with real JWTs. Every database is a throwaway one on the server of
TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres), the Redis stream is a fresh key on
TEST_REDIS_URL (default redis://127.0.0.1:6379/0); both are removed at the end, and every process the run started
is stopped, also on Ctrl-C or failure. Loopback only. Prints figures and targets; never asserts.
The table is also written to bench/results/latest.md and latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import shutil
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import machine
from harness import REPO, Children, free_port, rss_mb, throwaway_database, transactions, wait_http
from loadgen import Load, LoadResult
from our_stack import SERVICES, Stack, idle_streams, running_stack, store_position, ticket_ids, wait_drained
from table import rows, text_table

from ticket_eventstore import migrations

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
RESULTS = BENCH / "results"
ES_VENV = BENCH / ".venv-es"
CREATE_BODY = '{"subject": "Printer on fire", "priority": "normal"}'
LIST_TICKETS = 3000  # the list figure needs at least this many tickets in the read model
IDLE_CLIENTS = 200
# PostgreSQL 15 flushes a backend's counters to pg_stat_database up to 10 s after it went idle, so the
# transaction count of a window only holds what happened in it once the load before has been quiet that long.
STATS_SETTLE_SECONDS = 11.0


class Run:
    """One run: its settings, children and load generator, and the figures measured so far (by name)."""

    def __init__(self, args: argparse.Namespace, children: Children) -> None:
        self.args = args
        self.children = children
        self.load = Load(children, args.seconds)
        self.figures: dict[str, float | None] = {}
        self.failures: list[str] = []
        self.tickets: int | None = None
        self.events: int | None = None

    def record(self, prefix: str, result: LoadResult) -> None:
        self.figures |= {f"{prefix}_rate": result.rate, f"{prefix}_p50": result.p50_ms, f"{prefix}_p99": result.p99_ms}
        failed = f", {result.failed} failed" if result.failed else ""
        rate, p50, p99, wrk = result.rate, result.p50_ms, result.p99_ms, self.load.client_cores
        say(f"  {prefix}: {rate:,.0f}/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms{failed} (wrk used {wrk:.2f} cores)")

    async def attempt(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        """Measure one figure; a failure is reported and the run goes on with the next one."""
        say(f"{what}...")
        try:
            await step()
        except Exception as exc:  # a figure that fails is reported; the others still count
            self.failures.append(f"{what}: {exc}")
            say(f"  {what} failed: {exc}")


def say(line: str) -> None:
    print(line, flush=True)


async def migrate_store(url: str) -> None:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
    finally:
        await conn.close()


# ------------------------------------------------------------------------------------------------ references


async def raw_appends(run: Run) -> None:
    async with throwaway_database(run.args.server, "raw") as url:
        await migrate_store(url)
        run.figures["raw_append_rate"] = rate = await run.load.pgbench_appends(url)
        say(f"  raw append: {rate:,.0f}/s")


async def bare_app(run: Run) -> None:
    async with throwaway_database(run.args.server, "bare") as url:
        await migrate_store(url)
        port = free_port()
        argv = [str(BIN / "uvicorn"), "bench.bare_app:app", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
        process = run.children.start("bare-app", argv, os.environ | {"BARE_DATABASE_URL": url})
        try:
            await wait_http(f"http://127.0.0.1:{port}/health", process)
            result = await run.load.wrk(f"http://127.0.0.1:{port}/events", method="POST", body=CREATE_BODY)
            run.record("bare", result)
        finally:
            run.children.stop("bare-app")


async def eventsourcing(run: Run) -> None:
    python = await es_environment(run.children)
    async with throwaway_database(run.args.server, "es") as url:
        argv = [str(python), str(BENCH / "es_app.py"), "--url", url, "--seconds", f"{run.args.seconds:g}"]
        result = json.loads((await run.children.run("eventsourcing", argv)).strip().splitlines()[-1])
    run.figures["es_create_rate"], run.figures["es_assign_rate"] = result["creates_per_s"], result["assigns_per_s"]
    say(f"  eventsourcing: {result['creates_per_s']:,.0f} creates/s, {result['assigns_per_s']:,.0f} assigns/s")


async def es_environment(children: Children) -> Path:
    """bench/.venv-es with bench/requirements-es.txt, created on first use (never the product's environment)."""
    python = ES_VENV / "bin" / "python"
    if python.exists():
        check = await asyncio.create_subprocess_exec(str(python), "-c", "import eventsourcing.postgres")
        if await check.wait() == 0:
            return python
    say(f"  installing the eventsourcing reference into {ES_VENV.relative_to(REPO)} (once)")
    base = getattr(sys, "_base_executable", sys.executable)
    await children.run("es-venv", [base, "-m", "venv", "--clear", str(ES_VENV)])
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    await children.run("es-install", [*pip, "-r", str(BENCH / "requirements-es.txt")])
    return python


# ------------------------------------------------------------------------------------------------------- ours


async def ours(run: Run) -> None:
    server, redis = run.args.server, run.args.redis
    async with throwaway_database(server, "ours") as url, running_stack(run.children, url, redis) as s:
        await run.attempt("query-api /health (the read ceiling)", lambda: health(run, s))
        await run.attempt("create burst, then drain", lambda: creates(run, s))
        await run.attempt("transitions on distinct tickets", lambda: transitions(run, s))
        await run.attempt("reads", lambda: reads(run, s))
        await run.attempt(f"database load of {IDLE_CLIENTS} idle live-update clients, memory", lambda: idle(run, s))
        await run.attempt("rebuild", lambda: rebuild(run, s))
        for name in SERVICES:
            code = run.children.running[name].poll()
            if code is not None:  # a figure measured after this is not of the whole stack
                run.failures.append(f"{name} exited with {code} during the run (see bench/results/logs/{name}.log)")


async def health(run: Run, stack: Stack) -> None:
    run.record("health", await run.load.wrk(stack.url("query-api") + "/health"))


async def creates(run: Run, stack: Stack) -> None:
    create_url = stack.url("command-api") + "/api/support-ticket"
    result = await run.load.wrk(create_url, method="POST", body=CREATE_BODY, token=stack.customer)
    run.record("create", result)
    drained = await wait_drained(stack)
    run.figures["drain_s"] = drained
    say(f"  drained {'after ' + format(drained, '.2f') + ' s' if drained is not None else 'NOT within 60 s'}")
    missing = LIST_TICKETS - len(await ticket_ids(stack.database_url))
    if missing > 0:  # a short run creates fewer tickets than the list figure needs
        seconds = min(120, math.ceil(missing / max(result.rate, 25)) + 1)
        say(f"  creating {missing:,}+ more tickets for the list figure ({seconds} s)")
        await run.load.wrk(create_url, seconds=seconds, method="POST", body=CREATE_BODY, token=stack.customer)
        await wait_drained(stack)


async def transitions(run: Run, stack: Stack) -> None:
    ids = await ticket_ids(stack.database_url)
    path = run.children.logs / "tickets.txt"
    path.write_text("\n".join(ids) + "\n")
    say(f"  {len(ids):,} tickets to assign, each once")
    result = await run.load.wrk(
        stack.url("command-api"), script="per_ticket", mode="assign", ids=str(path), token=stack.agent
    )
    run.record("assign", result)
    if result.requests >= len(ids):
        say("  every ticket was assigned before the time was up: the rate is over a shorter window")
    await wait_drained(stack)


async def reads(run: Run, stack: Stack) -> None:
    ids = str(run.children.logs / "tickets.txt")
    query = stack.url("query-api")
    run.record("get", await run.load.wrk(query, script="per_ticket", mode="get", ids=ids, token=stack.agent))
    run.tickets = len(await ticket_ids(stack.database_url))
    run.record("list", await run.load.wrk(query + "/api/support-ticket?limit=50", token=stack.agent))


async def idle(run: Run, stack: Stack) -> None:
    window = max(5.0, run.args.seconds)
    await asyncio.sleep(STATS_SETTLE_SECONDS)
    run.figures["quiet_tx"] = quiet = await transactions_per_second(stack.database_url, window)
    say(f"  no clients: {quiet:.1f} tx/s")
    async with idle_streams(stack.url("query-api"), stack.agent, IDLE_CLIENTS) as opened:
        await asyncio.sleep(2)  # every stream reaches its idle polling; busy backends flush their counters every 1 s
        run.figures["idle_tx"] = busy = await transactions_per_second(stack.database_url, window)
        say(f"  {opened} idle clients: {busy:.1f} tx/s")
        for name in SERVICES:  # after all the load, with the clients still connected
            run.figures[f"rss_{name}"] = rss_mb(stack.pids[name])
        say("  RSS: " + ", ".join(f"{n} {run.figures[f'rss_{n}'] or float('nan'):.0f} MB" for n in SERVICES))


async def transactions_per_second(database_url: str, seconds: float) -> float:
    before, began = await transactions(database_url), time.monotonic()
    await asyncio.sleep(seconds)
    return (await transactions(database_url) - before) / (time.monotonic() - began)


async def rebuild(run: Run, stack: Stack) -> None:
    """``ticket-projector rebuild`` timed as a process, less a process start (timed with ``migrate``)."""
    projector = str(BIN / "ticket-projector")
    began = time.monotonic()
    await run.children.run("projector-start", [projector, "migrate"], stack.env)
    start = time.monotonic() - began
    began = time.monotonic()
    output = await run.children.run("rebuild", [projector, "rebuild"], stack.env)
    elapsed = time.monotonic() - began
    report = json.loads(output.strip().splitlines()[-1])
    run.events = report.get("checkpoint") or await store_position(stack.database_url)
    run.figures["rebuild_rate"] = run.events / max(elapsed - start, 1e-3)
    say(f"  rebuilt {run.events:,} events in {elapsed:.2f} s ({start:.2f} s of it a process start)")


# ------------------------------------------------------------------------------------------------------ main


async def measure(args: argparse.Namespace) -> Run:
    logs = RESULTS / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    children = Children(logs)
    run = Run(args, children)
    task = asyncio.current_task()
    assert task is not None
    for stop in (signal.SIGINT, signal.SIGTERM):  # also when started in the background, where SIGINT is ignored
        asyncio.get_running_loop().add_signal_handler(stop, task.cancel)
    try:
        await run.attempt("raw append: pgbench, 32 clients, one event row per transaction", lambda: raw_appends(run))
        await run.attempt("bare app: FastAPI + asyncpg, one event row per POST", lambda: bare_app(run))
        await run.attempt("eventsourcing 9.5.6 in-process: creates, then assigns", lambda: eventsourcing(run))
        await run.attempt("our services over HTTP", lambda: ours(run))
    finally:
        children.stop_all()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s per figure instead of 10")
    parser.add_argument("--seconds", type=float, help="seconds per figure (default 10, --quick 5)")
    parser.add_argument("--server", default=os.environ.get("TEST_DATABASE_URL") or machine.DEFAULT_SERVER)
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL") or machine.DEFAULT_REDIS)
    args = parser.parse_args()
    args.seconds = args.seconds or (5.0 if args.quick else 10.0)

    began = time.monotonic()
    description = asyncio.run(machine.describe(args.server, args.redis))
    say(f"{description}; {args.seconds:g} s per figure, 32 connections, loopback")
    try:
        run = asyncio.run(measure(args))
    except (KeyboardInterrupt, asyncio.CancelledError):
        say("interrupted: every process of the run was stopped and its databases dropped")
        sys.exit(130)
    table = rows(run.figures, tickets=run.tickets, events=run.events)
    minutes = (time.monotonic() - began) / 60
    say("")
    say(text_table(table))
    for failure in run.failures:
        say(f"not measured: {failure.splitlines()[0]}")
    written = machine.write_results(RESULTS, description, args.seconds, minutes, table, run.failures)
    say(f"\n{minutes:.1f} min; table written to {written.relative_to(REPO)} (and .json); logs in {RESULTS / 'logs'}")


if __name__ == "__main__":
    main()
