"""Webhooks through `make stack`'s nginx gateway: /api/webhooks/ reaches the webhooks service for every method
(admins only), and a ticket created through the gateway reaches a registered receiver, signed."""

from __future__ import annotations

import os
import shutil
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

from .conftest import wait_for
from .receiver import Receiver

__all__ = ["new_database_url"]  # the fixture, for the test below

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[3]


def test_the_gateway_sends_webhooks_admin_calls_to_the_service_and_events_reach_the_receiver(
    new_database_url: str, redis_namespace: RedisNamespace, receiver: Receiver
) -> None:
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.skip("nginx is not installed (apt-get install nginx)")
    names = ("PORT", "COMMAND_API_PORT", "QUERY_API_PORT", "PROJECTOR_PORT", "WEBHOOKS_PORT")
    ports = {name: _free_port() for name in names}
    secret = uuid.uuid4().hex
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "DATABASE_URL": new_database_url,
        "REDIS_URL": redis_namespace.url,
        "EVENT_STREAM": redis_namespace.key("events"),
        "SLA_ALERT_STREAM": redis_namespace.key("sla-alerts"),
        "PROJECTOR_GROUP": redis_namespace.key("projector"),
        "WEBHOOKS_GROUP": redis_namespace.key("webhooks"),
        "WEBHOOKS_ALLOW_PRIVATE": "true",
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

        def bearer(sub: str, role: str) -> dict[str, str]:
            claims = {"sub": sub, "roles": [role], "exp": int(time.time()) + 300}
            return {"Authorization": f"Bearer {jwt.encode(claims, secret)}"}

        gateway = f"http://127.0.0.1:{ports['PORT']}"
        body = {"url": receiver.url, "event_types": ["Created"]}
        refused = httpx.post(f"{gateway}/api/webhooks/endpoints", json=body, headers=bearer("bob", "agent"))
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
        created = httpx.post(f"{gateway}/api/webhooks/endpoints", json=body, headers=bearer("ada", "admin"))
        assert created.status_code == 201, created.text
        endpoint, signing_secret = created.json()["endpoint"]["id"], created.json()["secret"]
        listed = httpx.get(f"{gateway}/api/webhooks/endpoints/{endpoint}", headers=bearer("ada", "admin"))
        assert listed.status_code == 200 and "secret" not in listed.json()

        ticket = httpx.post(
            f"{gateway}/api/support-ticket", json={"subject": "Through the gateway"}, headers=bearer("al", "customer")
        )
        assert ticket.status_code == 201, ticket.text
        wait_for(lambda: len(receiver.snapshot()) >= 1, "the Created event at the receiver")
        (payload,) = receiver.verified(signing_secret)
        assert (payload["type"], payload["data"]["ticket_id"]) == ("Created", ticket.json()["aggregate_id"])
        deleted = httpx.delete(f"{gateway}/api/webhooks/endpoints/{endpoint}", headers=bearer("ada", "admin"))
        assert deleted.status_code == 204
    finally:
        stack.terminate()
        try:
            stack.wait(30)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait()
