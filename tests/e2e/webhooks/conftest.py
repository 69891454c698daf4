"""The webhook dispatcher as a real process beside the command API (whose relay feeds the events stream), on a
fresh database and Redis namespace, with a partner's receiver on loopback."""

from __future__ import annotations

import base64
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import RedisNamespace
from tests.support.processes import Process, clean_environment, free_port
from ticket_service.auth import mint_token

from .receiver import Receiver

SECRET = "webhooks-e2e-secret-0123456789abcdef"
SECRETS_KEY = base64.b64encode(b"e2e-webhooks-secrets-key-32bytes").decode()
BIN = Path(sys.executable).parent


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role])}"}


ADMIN = bearer("ada", "admin")


@dataclass
class Desk:
    """The running processes: the command API, and the dispatcher (restartable with the same settings)."""

    command: str
    env: dict[str, str]
    log_dir: Path
    webhooks: Process | None = None
    url: str = ""
    started: list[Process] = field(default_factory=list)

    def start_webhooks(self, ready: str = "/ready", **env: str) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.webhooks = Process(
            [str(BIN / "ticket-webhooks"), "run"],
            self.env | {"PORT": str(port)} | env,
            self.log_dir / "webhooks.log",
            self.url,
        )
        self.started.append(self.webhooks)
        self.webhooks.wait_until(ready)

    def kill_webhooks(self) -> None:
        assert self.webhooks is not None
        self.webhooks.process.kill()
        self.webhooks.stop()

    def create(self, subject: str) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.command}/api/support-ticket",
            json={"subject": subject},
            headers=bearer("alice", "customer"),
            timeout=10,
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def fire(self, transition: str, ticket: str, **data: Any) -> dict[str, Any]:
        answer = httpx.post(
            f"{self.command}/api/{transition}",
            json={"aggregate_id": ticket, "data": data},
            headers=bearer("bob", "agent"),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def register(self, url: str, event_types: list[str] | None = None) -> tuple[str, str]:
        answer = httpx.post(
            f"{self.url}/api/webhooks/endpoints",
            headers=ADMIN,
            timeout=10,
            json={"url": url, "event_types": event_types or ["*"], "description": "e2e"},
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["endpoint"]["id"], answer.json()["secret"]

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}/api/webhooks{path}", headers=ADMIN, timeout=10, **kwargs)


@pytest.fixture
def desk_factory(database_url: str, redis_namespace: RedisNamespace, tmp_path: Path) -> Iterator[Callable[..., Desk]]:
    made: list[Desk] = []
    command: list[Process] = []

    def make(**settings: str) -> Desk:
        env = clean_environment(
            DATABASE_URL=database_url,
            REDIS_URL=redis_namespace.url,
            EVENT_STREAM=redis_namespace.key("events"),
            SLA_ALERT_STREAM=redis_namespace.key("sla-alerts"),
            WEBHOOKS_GROUP=redis_namespace.key("webhooks"),
            CONSUMER_NAME=redis_namespace.key("replica-1"),
            JWT_SECRET=SECRET,
            WEBHOOKS_SECRET_KEY=SECRETS_KEY,
            HOST="127.0.0.1",
            WEBHOOKS_POLL_SECONDS="0.2",
            WEBHOOKS_TIMEOUT_SECONDS="2",
            METRICS_REFRESH_SECONDS="0.5",
            **settings,
        )
        for cli in ("ticket-command-api", "ticket-webhooks"):
            done = subprocess.run([str(BIN / cli), "migrate"], env=env, capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        if not command:
            port = free_port()
            command.append(
                Process(
                    [str(BIN / "ticket-command-api"), "serve"],
                    env | {"PORT": str(port)},
                    tmp_path / "command.log",
                    f"http://127.0.0.1:{port}",
                )
            )
            command[0].wait_until("/ready")
        desk = Desk(command[0].url, env, tmp_path)
        desk.start_webhooks()
        made.append(desk)
        return desk

    try:
        yield make
    finally:
        for desk in made:
            for process in desk.started:
                process.stop()
        for process in command:
            process.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(free_port())
    made.start()
    try:
        yield made
    finally:
        made.stop()


def wait_for(check: Callable[[], bool], what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {within:.0f} s waiting for {what}")
