"""Both APIs as real processes on one fresh database, shared by every fuzzed operation of the session.

Started once (a process per test would cost more than the fuzzing): the command API with its relay, the projector
filling the read model, the query API reading it; a few tickets written first, so the reads have rows to answer.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import redis

from tests.support.ids import random_suffix
from tests.support.processes import Process, clean_environment, free_port
from tests.support.servers import with_database
from ticket_service.auth import mint_token

BIN = Path(sys.executable).parent
SECRET = "contract-fuzz-secret-" + "0123456789abcdef" * 2


def bearer(sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, list(roles), ttl_seconds=3600)}"}


@dataclass(frozen=True)
class Stack:
    command: str
    query: str


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def fuzz_stack(
    postgres_server_url: str, redis_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    name, prefix = f"test_{random_suffix()}", f"test:{random_suffix()}:"
    logs = tmp_path_factory.mktemp("contract-fuzz")
    asyncio.run(_admin(postgres_server_url, f'CREATE DATABASE "{name}"'))
    env = clean_environment(
        DATABASE_URL=with_database(postgres_server_url, name),
        REDIS_URL=redis_server_url,
        EVENT_STREAM=prefix + "events",
        PROJECTOR_GROUP=prefix + "projector",
        CONSUMER_NAME=prefix + "replica",
        JWT_SECRET=SECRET,
        HOST="127.0.0.1",
        MIN_POSITION_TIMEOUT_SECONDS="0.05",  # generated positions are mostly far ahead: answer 503 at once
    )
    processes: list[Process] = []
    try:
        for tool in ("ticket-command-api", "ticket-projector"):
            done = subprocess.run([BIN / tool, "migrate"], env=env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        for tool, args in (
            ("ticket-command-api", ["serve"]),
            ("ticket-projector", ["run"]),
            ("ticket-query-api", ["serve"]),
        ):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            processes.append(Process([str(BIN / tool), *args], env | {"PORT": str(port)}, logs / f"{tool}.log", url))
        for process in processes:
            process.wait_until("/ready")
        command, _, query = (process.url for process in processes)
        _seed(command, query)
        yield Stack(command, query)
    finally:
        for process in processes:
            process.stop()
        asyncio.run(_admin(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        client = redis.Redis.from_url(redis_server_url)
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
        client.close()


def _seed(command: str, query: str) -> None:
    """A few tickets in several places, projected before the fuzzing starts."""
    customer, agent = bearer("alice", "customer"), bearer("bob", "agent")
    position = 0
    with httpx.Client(timeout=10) as http:
        for subject, steps in (
            ("VPN down", []),
            ("Printer", ["assign"]),
            ("Login", ["assign", "start_work", "resolve"]),
        ):
            answer = http.post(f"{command}/api/support-ticket", headers=customer, json={"subject": subject}).json()
            position = answer["position"]
            for step in steps:
                fired = http.post(f"{command}/api/{step}", headers=agent, json={"aggregate_id": answer["aggregate_id"]})
                position = fired.json()["position"]
        # The stack answers 503 after 0.05 s when a position is not projected yet: poll until the seed is read.
        deadline = time.monotonic() + 30
        while True:
            read = http.get(f"{query}/api/support-ticket", headers=agent | {"X-Min-Position": str(position)})
            if read.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert read.status_code == 200, read.text
