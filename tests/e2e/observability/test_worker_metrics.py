"""The command API served by two worker processes (``WEB_CONCURRENCY=2``, a real process): every scrape of
``/metrics``, whichever worker answers it, counts the requests and commands of both workers, and shows the one
relay leader among them, also after a worker was killed and replaced; the metrics directory the CLI made for the
workers is gone once it stops. A directory the operator set is emptied of an earlier run's files, with one worker
too."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.mmap_dict import MmapedDict, mmap_key

from tests.conftest import RedisNamespace
from tests.support.metrics import scrape, until, value
from tests.support.processes import Process, clean_environment, free_port
from ticket_service.auth import mint_token

SECRET = "worker-metrics-secret-0123456789abcdef"
BIN = Path(sys.executable).parent
CREATES = 40
SCRAPES = 12
ROUTE = {"method": "POST", "route": "/api/support-ticket", "status": "201"}


def served_by_pid(directory: Path) -> dict[str, float]:
    """Each worker's own count of the created tickets, from its file in the metrics directory."""
    counts = {}
    for file in directory.glob("counter_*.db"):
        pid = file.stem.removeprefix("counter_")
        for key, count, _, _ in MmapedDict.read_all_values_from_file(str(file)):  # type: ignore[no-untyped-call]
            _, name, labels, _ = json.loads(key)
            if name == "http_requests_total" and labels == ROUTE:
                counts[pid] = count
    return counts


def environment(database_url: str, redis_namespace: RedisNamespace, port: int, **extra: str) -> dict[str, str]:
    env = clean_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        JWT_SECRET=SECRET,
        HOST="127.0.0.1",
        PORT=str(port),
        LOG_FORMAT="json",
        **extra,
    )
    if "PROMETHEUS_MULTIPROC_DIR" not in extra:
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


async def started(env: dict[str, str], log: Path) -> Process:
    """The command API, migrated and ready."""
    done = await asyncio.to_thread(
        subprocess.run, [str(BIN / "ticket-command-api"), "migrate"], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    command = Process([str(BIN / "ticket-command-api"), "serve"], env, log, f"http://{env['HOST']}:{env['PORT']}")
    try:
        await asyncio.to_thread(command.wait_until, "/ready")
    except BaseException:
        command.stop()
        raise
    return command


async def create_tickets(client: httpx.AsyncClient, count: int) -> None:
    headers = {"Authorization": f"Bearer {mint_token(SECRET, 'alice', ['customer'])}"}
    gate = asyncio.Semaphore(8)

    async def create(number: int) -> None:
        async with gate:
            answer = await client.post("/api/support-ticket", json={"subject": f"#{number}"}, headers=headers)
            assert answer.status_code == 201, answer.text

    async with asyncio.timeout(60):
        await asyncio.gather(*(create(n) for n in range(count)))


async def test_every_scrape_counts_the_requests_of_both_workers(
    database_url: str, redis_namespace: RedisNamespace, tmp_path: Path
) -> None:
    temporary = tmp_path / "tmp"  # where the CLI makes its metrics directory (TMPDIR)
    temporary.mkdir()
    env = environment(database_url, redis_namespace, free_port(), WEB_CONCURRENCY="2", TMPDIR=str(temporary))
    command = await started(env, tmp_path / "command-api.log")
    try:
        [directory] = temporary.glob("ticket-metrics-*")
        # No keep-alive: every request is a new connection, which either worker may accept.
        fresh = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=command.url, limits=fresh, timeout=10) as client:
            await create_tickets(client, CREATES)
            served = served_by_pid(directory)
            assert len(served) == 2 and all(served.values()), f"both workers answer creates: {served}"
            assert sum(served.values()) == CREATES

            await until(client, "ticket_relay_leader", 1, within=30)  # a worker's relay leads (copied every second)
            for _ in range(SCRAPES):
                samples = await scrape(client)
                assert value(samples, "http_requests_total", **ROUTE) == CREATES
                assert value(samples, "ticket_commands_total", command="create", outcome="accepted") == CREATES
                assert value(samples, "http_request_duration_seconds_count", method="POST", route=ROUTE["route"]) == (
                    CREATES
                )
                assert value(samples, "ticket_relay_leader") == 1
                assert value(samples, "ticket_db_pool_connections_max", pool="event_store") > 0

            # A worker killed: uvicorn starts another, the dead one's live gauges leave the sums, its counts stay.
            dead = min(served)
            os.kill(int(dead), signal.SIGKILL)
            async with asyncio.timeout(30):
                while True:  # until the parent marks it dead
                    if not (directory / f"gauge_livesum_{dead}.db").exists():
                        break
                    await asyncio.sleep(0.1)
            await until(client, "ticket_relay_leader", 1, within=30)
            for _ in range(SCRAPES):
                samples = await scrape(client)
                assert value(samples, "http_requests_total", **ROUTE) == CREATES
                assert value(samples, "ticket_relay_leader") == 1
    finally:
        command.stop()
    assert not directory.exists(), "the workers' metrics directory is removed at exit"
    assert "Traceback" not in command.output(), command.output()[-4000:]


async def test_a_directory_the_operator_set_is_emptied_of_an_earlier_run(
    database_url: str, redis_namespace: RedisNamespace, tmp_path: Path
) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    # A worker of an earlier run counted 1,000 creates.
    stale = MmapedDict(str(directory / "counter_1.db"))  # type: ignore[no-untyped-call]
    key = mmap_key("http_requests", "http_requests_total", list(ROUTE), list(ROUTE.values()), "HTTP")
    stale.write_value(key, 1000, 0)  # type: ignore[no-untyped-call]
    stale.close()  # type: ignore[no-untyped-call]
    env = environment(
        database_url, redis_namespace, free_port(), WEB_CONCURRENCY="1", PROMETHEUS_MULTIPROC_DIR=str(directory)
    )
    command = await started(env, tmp_path / "command-api.log")
    try:
        async with httpx.AsyncClient(base_url=command.url, timeout=10) as client:
            await create_tickets(client, 5)
            samples = await scrape(client)
            assert value(samples, "http_requests_total", **ROUTE) == 5
            assert value(samples, "ticket_commands_total", command="create", outcome="accepted") == 5
    finally:
        command.stop()
    assert directory.is_dir(), "a directory the operator set is kept"
