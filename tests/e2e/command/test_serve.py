"""The command API as a real process: ``ticket-command-api migrate``, ``mint-token`` and ``serve`` on a loopback
port, real HTTP, real JWTs, real PostgreSQL and Redis."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import RedisNamespace

CLI = str(Path(sys.executable).with_name("ticket-command-api"))
SECRET = "e2e-secret-0123456789abcdef0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(**values: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("JWT_") and k not in ("DEBUG", "DATABASE_URL")}
    return keep | {"LOG_LEVEL": "warning"} | values


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class Server:
    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [CLI, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.process.communicate()[1]}")
            try:
                if httpx.get(f"{self.url}/ready", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server was not ready within {timeout}s")

    def stop(self) -> str:
        self.process.terminate()
        try:
            _, stderr = self.process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        return stderr


@pytest.fixture
def server_env(database_url: str, redis_namespace: RedisNamespace) -> dict[str, str]:
    return environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        JWT_SECRET=SECRET,
        RELAY_POLL_INTERVAL="0.2",
    )


@pytest.fixture
def server(server_env: dict[str, str]) -> Iterator[Server]:
    cli("migrate", env=server_env)
    running = Server(server_env)
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


def test_a_ticket_over_real_http(server: Server, server_env: dict[str, str], redis_namespace: RedisNamespace) -> None:
    customer = cli("mint-token", "--sub", "alice", "--role", "customer", env=server_env)
    agent = cli("mint-token", "--sub", "bob", "--role", "agent", "--ttl", "600", env=server_env)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        created = http.post(
            "/api/support-ticket",
            headers={"Authorization": f"Bearer {customer}", "X-Request-ID": "e2e-1"},
            json={"subject": "Cannot log in", "priority": "high"},
        )
        assert created.status_code == 201, created.text
        assert created.headers["X-Request-ID"] == "e2e-1"
        ticket = created.json()["aggregate_id"]
        assigned = http.post(
            "/api/assign",
            headers={"Authorization": f"Bearer {agent}", "Idempotency-Key": "a-1"},
            json={"aggregate_id": ticket},
        )
        assert assigned.status_code == 200
        assert assigned.json()["available_transitions"] == ["start_work"]
        assert http.post("/api/start_work", json={"aggregate_id": ticket}).status_code == 401
        refused = http.post(
            "/api/start_work", headers={"Authorization": f"Bearer {customer}"}, json={"aggregate_id": ticket}
        )
        assert refused.status_code == 403
        assert http.post("/api/debug/token", json={"sub": "x", "roles": ["admin"]}).status_code == 404
        assert "/api/assign" in http.get("/openapi.json").json()["paths"]
        assert http.get("/asyncapi.json").json()["channels"]["ticketEvents"]["address"] == redis_namespace.key("events")

    client = redis.Redis.from_url(redis_namespace.url, decode_responses=True)
    stream = redis_namespace.key("events")
    deadline = time.monotonic() + 30
    while len(client.xrange(stream)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    entries = client.xrange(stream)
    client.close()
    assert [entry_id for entry_id, _ in entries] == [
        f"{created.json()['position']}-0",
        f"{assigned.json()['position']}-0",
    ]
    assert [fields["type"] for _, fields in entries] == ["Created", "Assigned"]
    assert json.loads(entries[0][1]["metadata"])["correlation_id"] == "e2e-1"
    assert json.loads(entries[1][1]["metadata"])["idempotency_key"] == "a-1"


def test_without_a_jwt_key_the_server_refuses_to_start(server_env: dict[str, str]) -> None:
    env = {k: v for k, v in server_env.items() if k != "JWT_SECRET"}
    done = subprocess.run(
        [CLI, "serve", "--port", str(free_port())], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "JWT_SECRET" in done.stderr


def test_debug_mode_warns_and_mints_tokens(server_env: dict[str, str]) -> None:
    env = {k: v for k, v in server_env.items() if k != "JWT_SECRET"} | {"DEBUG": "true", "RELAY_ENABLED": "false"}
    cli("migrate", env=env)
    running = Server(env)
    try:
        running.wait_ready()
        with httpx.Client(base_url=running.url, timeout=10) as http:
            minted = http.post("/api/debug/token", json={"sub": "alice", "roles": ["customer"]})
            assert minted.status_code == 200
            token = minted.json()["token"]
            created = http.post("/api/support-ticket", headers={"Authorization": f"Bearer {token}"})
            assert created.status_code == 201
    finally:
        stderr = running.stop()
    assert "development secret" in stderr
