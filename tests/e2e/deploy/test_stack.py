"""`make stack` (deploy/stack.py), for real: it creates the database, migrates, starts the three services and the
nginx gateway, serves a ticket over the gateway, and on SIGTERM stops everything, leaving no process behind.

Its output goes to a file, as a user's terminal would show it: the session's log scan (:mod:`tests.e2e.logscan`) reads
every service's lines there."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import jwt
import pytest

from tests.conftest import RedisNamespace
from tests.support.ids import random_suffix, user
from tests.support.servers import with_database

REPO = Path(__file__).resolve().parents[3]
STACK = REPO / "deploy" / "stack.py"
READY_SECONDS = 240  # the stack's own waits (60 s for each API, then for the gateway) end before this


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _processes_with(marker: str) -> list[int]:
    """Processes whose environment carries the marker: everything the stack started inherits it."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def new_database_url(postgres_server_url: str) -> Iterator[str]:
    """The URL of a database that does not exist yet (the stack must create it); dropped afterwards."""
    name = f"test_stack_{random_suffix()}"
    yield with_database(postgres_server_url, name)
    asyncio.run(_admin(postgres_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _lines_until(log: Path, stack: subprocess.Popen[bytes], *endings: str) -> list[str]:
    """The stack's lines so far, once one holds an ending, the stack has exited or the wait is over."""
    deadline = time.monotonic() + READY_SECONDS
    while True:
        lines = log.read_text(errors="replace").splitlines(keepends=True)
        if any(ending in line for line in lines for ending in endings) or stack.poll() is not None:
            return lines
        if time.monotonic() > deadline:
            return [*lines, f"(no line after {READY_SECONDS} s)\n"]
        time.sleep(0.2)


def test_stack_serves_a_ticket_and_stops_cleanly(
    new_database_url: str, redis_namespace: RedisNamespace, tmp_path: Path
) -> None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        # The gateway is Debian's nginx (tools/system-deps.sh installs it); without it there is no stack to start.
        pytest.skip("nginx is not installed (apt-get install nginx); deploy/docker/prepare-engine.sh installs it")
    ports = {
        name: _free_port() for name in ("PORT", "COMMAND_API_PORT", "QUERY_API_PORT", "PROJECTOR_PORT", "WEBHOOKS_PORT")
    }
    marker = f"support-ticket-stack-test-{uuid.uuid4().hex}"
    secret = uuid.uuid4().hex
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "DATABASE_URL": new_database_url,
        "REDIS_URL": redis_namespace.url,
        "EVENT_STREAM": redis_namespace.key("events"),
        "JWT_SECRET": secret,
        "DEBUG": "false",
        "STACK_TEST_MARKER": marker,
        "NO_COLOR": "1",
    }
    log_path = tmp_path / "stack.log"
    with log_path.open("wb") as log:
        stack = subprocess.Popen([sys.executable, str(STACK)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        output = _lines_until(log_path, stack, "ready: web UI and API", "not ready after")
        assert any("created database" in line for line in output), "".join(output)
        assert any("ready: web UI and API" in line for line in output), "".join(output)

        token = jwt.encode({"sub": user("customer"), "roles": ["customer"], "exp": int(time.time()) + 300}, secret)
        gateway = f"http://127.0.0.1:{ports['PORT']}"
        created = httpx.post(
            f"{gateway}/api/support-ticket", json={"subject": "stack"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201, created.text
        seen = httpx.get(
            f"{gateway}/api/support-ticket/{created.json()['aggregate_id']}",
            params={"min_position": created.json()["position"]},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert seen.status_code == 200 and seen.json()["place"] == "new", seen.text
        assert httpx.get(f"{gateway}/health").status_code == 200
        assert _processes_with(marker), "the stack's processes should carry the marker"

        stack.send_signal(signal.SIGTERM)
        stack.wait(timeout=30)
        output = log_path.read_text(errors="replace").splitlines(keepends=True)
        assert stack.returncode == 0, "".join(output)
        for line in output:  # every line is prefixed by its service
            assert not line.strip() or " | " in line, line
        assert _processes_with(marker) == [], "processes left running after SIGTERM"
        for name, port in ports.items():
            with socket.socket() as probe:
                assert probe.connect_ex(("127.0.0.1", port)) != 0, f"{name} {port} still listening"
    finally:
        if stack.poll() is None:
            stack.kill()
            stack.wait()
        for pid in _processes_with(marker):
            os.kill(pid, signal.SIGKILL)
