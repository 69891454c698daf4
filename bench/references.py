"""The references of ``make bench``: raw appends (pgbench), the bare FastAPI app, the eventsourcing library.

Each runs alone on the machine, in its own throwaway database, before our services start.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import asyncpg
from harness import REPO, Children, free_port, throwaway_database, wait_http
from session import Run, say

from ticket_eventstore import migrations

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
ES_VENV = BENCH / ".venv-es"
CREATE_BODY = '{"subject": "Printer on fire", "priority": "normal"}'
WARM_UP_SECONDS = 1  # unmeasured load first, so that no figure pays for a cold process (imports, caches, pools)


async def migrate_store(url: str) -> None:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
    finally:
        await conn.close()


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
            url = f"http://127.0.0.1:{port}/events"
            await run.load.wrk(url, seconds=WARM_UP_SECONDS, method="POST", body=CREATE_BODY)
            result = await run.load.wrk(url, method="POST", body=CREATE_BODY)
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
