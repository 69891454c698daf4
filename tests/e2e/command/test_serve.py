"""The command API as a real process: ``ticket-command-api migrate``, ``mint-token`` and ``serve`` on a loopback
port, real HTTP, real JWTs, real PostgreSQL and Redis."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.conftest import RedisNamespace
from tests.support.processes import Process, clean_environment, free_port

CLI = str(Path(sys.executable).with_name("ticket-command-api"))
SECRET = "e2e-secret-0123456789abcdef0123456789"


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def serve(env: dict[str, str], log: Path) -> Process:
    port = free_port()
    command = [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
    return Process(command, env, log, f"http://127.0.0.1:{port}")


@pytest.fixture
def server_env(database_url: str, redis_namespace: RedisNamespace) -> dict[str, str]:
    return clean_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        JWT_SECRET=SECRET,
        JWT_ISSUER="https://id.example",
        JWT_AUDIENCE="help-desk",
        RELAY_POLL_INTERVAL="0.2",
    )


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[Process]:
    cli("migrate", env=server_env)
    running = serve(server_env, tmp_path / "command-api.log")
    try:
        running.wait_until("/ready")
        yield running
    finally:
        running.stop()


def test_a_ticket_over_real_http(server: Process, server_env: dict[str, str], redis_namespace: RedisNamespace) -> None:
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


def test_minted_tokens_carry_the_configured_issuer_and_audience(server: Process, server_env: dict[str, str]) -> None:
    """``mint-token`` signs what the running service (with JWT_ISSUER and JWT_AUDIENCE set) accepts, for the
    lifetime asked; a token without those claims is refused."""
    short = cli("mint-token", "--sub", "sue", "--role", "supervisor", "--ttl", "120", env=server_env)
    plain = {k: v for k, v in server_env.items() if k not in ("JWT_ISSUER", "JWT_AUDIENCE")}
    foreign = cli("mint-token", "--sub", "sue", "--role", "supervisor", env=plain)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        accepted = http.post("/api/support-ticket", headers={"Authorization": f"Bearer {short}"}, json={})
        assert accepted.status_code == 201, accepted.text
        assert accepted.json()["available_transitions"] == ["assign"]
        refused = http.post("/api/support-ticket", headers={"Authorization": f"Bearer {foreign}"})
        assert (refused.status_code, refused.json()["code"]) == (401, "invalid_token")


def test_debug_mode_warns_and_mints_tokens(server_env: dict[str, str], tmp_path: Path) -> None:
    without_keys = {k: v for k, v in server_env.items() if not k.startswith("JWT_")}
    env = without_keys | {"DEBUG": "true", "RELAY_ENABLED": "false"}
    cli("migrate", env=env)
    running = serve(env, tmp_path / "debug.log")
    try:
        running.wait_until("/ready")
        with httpx.Client(base_url=running.url, timeout=10) as http:
            minted = http.post("/api/debug/token", json={"sub": "alice", "roles": ["customer"]})
            assert minted.status_code == 200
            token = minted.json()["token"]
            created = http.post("/api/support-ticket", headers={"Authorization": f"Bearer {token}"})
            assert created.status_code == 201
            from_cli = cli("mint-token", "--sub", "bob", "--role", "agent", env=env)
            assigned = http.post(
                "/api/assign",
                headers={"Authorization": f"Bearer {from_cli}"},
                json={"aggregate_id": created.json()["aggregate_id"]},
            )
            assert assigned.status_code == 200, assigned.text
    finally:
        running.stop()
    assert "development secret" in running.output()
