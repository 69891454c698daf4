"""The operator's console through the nginx gateway of `make stack`: /api/admin/ reaches the projector for every
method, with the same tokens as the APIs (admins only)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import jwt
import pytest

from tests.conftest import RedisNamespace
from tests.e2e.deploy.test_stack import STACK, _free_port, new_database_url

__all__ = ["new_database_url"]  # the fixture, for the test below

REPO = Path(__file__).resolve().parents[3]


def test_the_gateway_sends_the_admin_api_to_the_projector(
    new_database_url: str, redis_namespace: RedisNamespace
) -> None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.skip("nginx is not installed (apt-get install nginx); deploy/docker/prepare-engine.sh installs it")
    names = ("PORT", "COMMAND_API_PORT", "QUERY_API_PORT", "PROJECTOR_PORT", "WEBHOOKS_PORT")
    ports = {name: _free_port() for name in names}
    secret = uuid.uuid4().hex
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "DATABASE_URL": new_database_url,
        "REDIS_URL": redis_namespace.url,
        "EVENT_STREAM": redis_namespace.key("events"),
        "PROJECTOR_GROUP": redis_namespace.key("projector"),
        "JWT_SECRET": secret,
        "DEBUG": "false",
        "NO_COLOR": "1",
    }
    stack = subprocess.Popen(
        [sys.executable, str(STACK)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    try:
        assert stack.stdout is not None
        for line in stack.stdout:
            output.append(line)
            if "ready: web UI and API" in line or "not ready after" in line or stack.poll() is not None:
                break
        assert any("ready: web UI and API" in line for line in output), "".join(output)

        def bearer(role: str) -> dict[str, str]:
            claims = {"sub": f"{role}-1", "roles": [role], "exp": int(time.time()) + 300}
            return {"Authorization": f"Bearer {jwt.encode(claims, secret)}"}

        with httpx.Client(base_url=f"http://127.0.0.1:{ports['PORT']}", timeout=15) as http:
            status = http.get("/api/admin/system", headers=bearer("admin"))
            assert status.status_code == 200, status.text
            body = status.json()
            assert body["relay"]["stream"] == redis_namespace.key("events")
            assert body["consumer_group"]["name"] == redis_namespace.key("projector")
            assert body["projections"][0]["name"] == "tickets"
            retry = http.post("/api/admin/projections/tickets/retry", headers=bearer("admin"))  # a POST, not a command
            assert (retry.status_code, retry.json()["code"]) == (409, "not_halted"), retry.text
            for role in ("customer", "agent", "supervisor"):
                refused = http.get("/api/admin/system", headers=bearer(role))
                assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
            assert http.get("/api/admin/system").status_code == 401
    finally:
        if stack.poll() is None:
            stack.send_signal(signal.SIGTERM)
            try:
                stack.wait(timeout=30)
            except subprocess.TimeoutExpired:
                stack.kill()
                stack.wait()
