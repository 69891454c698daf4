"""``make bench``: every performance figure of the system in one run, against its reference, in one table.

    make bench                     # about 2.5 minutes: 10 s per figure
    make bench-quick               # about 1.5 minutes: 5 s per figure
    .venv/bin/python bench/performance.py [--quick] [--seconds S] [--command-workers N] [--server URL] [--redis URL]

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
import os
import shutil
import signal
import sys
import time
from pathlib import Path

import machine
from harness import REPO, Children
from our_figures import ours
from references import bare_app, eventsourcing, raw_appends
from session import Run, say
from table import rows, text_table

RESULTS = Path(__file__).resolve().parent / "results"


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
    parser.add_argument("--command-workers", type=int, help="the command API's WEB_CONCURRENCY (default: its own)")
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
        say(f"warning: {failure.splitlines()[0]}")
    written = machine.write_results(RESULTS, description, args.seconds, minutes, table, run.failures)
    say(f"\n{minutes:.1f} min; table written to {written.relative_to(REPO)} (and .json); logs in {RESULTS / 'logs'}")


if __name__ == "__main__":
    main()
