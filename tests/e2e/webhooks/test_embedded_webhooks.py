"""Webhooks in the embedded mode (``make run``'s process, one SQLite file, no Redis): a partner's receiver (a real
HTTP server on loopback) gets every event once or more, in order per ticket, each signature verified with the
independent ``standardwebhooks``; it gets them after being down for a while and after the process was killed
mid-way; a service-level alert raised by the in-process timer reaches it too; redelivery re-sends from a position."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import Process, clean_environment, free_port

from .conftest import wait_for
from .receiver import Receiver
from .test_delivery import RETRIES, assert_in_order_per_ticket, expected

pytestmark = pytest.mark.e2e

POLICY = {  # the high priority's first response warns 30 s after a ticket is created
    "targets": {"high": {"first_response_minutes": 1, "resolution_minutes": 60, "warning_percent": 50}},
    "calendar": None,
}


class Desk:
    """``python -m ticket_embedded`` on one file, restartable (killed without warning) on the same file."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        env = clean_environment(
            DB_PATH=str(tmp_path / "support-ticket.db"),
            WEBHOOKS_ALLOW_PRIVATE="true",
            WEBHOOKS_RETRY_SCHEDULE=RETRIES,
            WEBHOOKS_POLL_SECONDS="0.2",
            WEBHOOKS_TIMEOUT_SECONDS="2",
            WEBHOOKS_CONCURRENCY="4",
        )
        env.pop("WEBHOOKS_SECRET_KEY", None)  # make run: the development key
        self.env = env
        self.process: Process | None = None
        self.started: list[Process] = []
        self.start()
        self.admin, self.agent, self.customer = (self.token(r) for r in ("admin", "agent", "customer"))

    @property
    def url(self) -> str:
        assert self.process is not None
        return self.process.url

    def start(self) -> None:
        port = free_port()
        self.process = Process(
            [sys.executable, "-m", "ticket_embedded"],
            self.env | {"PORT": str(port)},
            self.tmp_path / f"embedded-{port}.log",
            f"http://127.0.0.1:{port}",
        )
        self.started.append(self.process)
        self.process.wait_until("/ready")

    def kill(self) -> None:
        assert self.process is not None
        self.process.process.kill()
        self.process.stop()

    def token(self, role: str) -> dict[str, str]:
        answer = httpx.post(f"{self.url}/api/debug/token", json={"sub": f"{role}-1", "roles": [role]}, timeout=10)
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    def create(self, subject: str, priority: str = "normal") -> str:
        body = {"subject": subject, "priority": priority}
        answer = httpx.post(f"{self.url}/api/support-ticket", json=body, headers=self.customer, timeout=10)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["aggregate_id"])

    def fire(self, transition: str, ticket: str, **data: Any) -> None:
        body = {"aggregate_id": ticket, "data": data}
        answer = httpx.post(f"{self.url}/api/{transition}", json=body, headers=self.agent, timeout=10)
        assert answer.status_code == 200, answer.text

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}/api/webhooks{path}", headers=self.admin, timeout=10, **kwargs)

    def life(self, count: int, subject: str) -> dict[str, int]:
        tickets = {}
        for n in range(count):
            ticket = self.create(f"{subject} {n}")
            self.fire("assign", ticket, assignee="agent-1")
            self.fire("start_work", ticket)
            tickets[ticket] = 3
        return tickets


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    made = Desk(tmp_path)
    try:
        yield made
    finally:
        for process in made.started:
            process.stop()


def got(receiver: Receiver, secret: str) -> set[tuple[str, int]]:
    payloads = receiver.verified(secret)  # raises unless every signature verifies
    return {(p["data"]["ticket_id"], p["data"]["version"]) for p in payloads if "version" in p["data"]}


def test_make_run_delivers_every_event_signed_in_order_through_downtime_and_a_killed_process(
    desk: Desk, receiver: Receiver
) -> None:
    created = desk.api("POST", "/endpoints", json={"url": receiver.url, "event_types": ["*"]})
    assert created.status_code == 201, created.text
    endpoint, secret = created.json()["endpoint"]["id"], created.json()["secret"]
    policy = httpx.put(f"{desk.url}/api/sla/policy", headers=desk.admin, json=POLICY, timeout=10)
    assert policy.status_code == 200, policy.text
    urgent = desk.create("Server room flooding", "high")  # its first response warns in 30 s, with no event
    tickets = {urgent: 1} | desk.life(3, "Printer")
    wait_for(lambda: expected(tickets) <= got(receiver, secret), "the first tickets' events")

    # Down for a while: the deliveries are retried, then everything arrives.
    receiver.stop()
    tickets |= desk.life(2, "Scanner")

    def retrying() -> bool:
        log = desk.api("GET", f"/endpoints/{endpoint}/deliveries").json()["deliveries"]
        return any(d["status"] == "retrying" and d["attempts"] >= 2 for d in log)

    wait_for(retrying, "deliveries retried while the receiver is down")
    time.sleep(1.5)
    receiver.start()
    wait_for(lambda: expected(tickets) <= got(receiver, secret), "the events sent while the receiver was down")

    # The process killed mid-way (SIGKILL) and started again on the same file: nothing lost.
    before = len(receiver.snapshot())
    receiver.delay = 0.5  # a slow partner: attempts are in flight when the process dies
    tickets |= desk.life(4, "Router")
    wait_for(lambda: len(receiver.snapshot()) > before, "the burst's first deliveries")
    desk.kill()
    receiver.delay = 0.0
    desk.start()
    wait_for(lambda: expected(tickets) <= got(receiver, secret), "every event after the restart", within=90)

    # The in-process timer's alert, recorded in the read model, is delivered (signed) too.
    def warned() -> list[dict[str, Any]]:
        return [p for p in receiver.verified(secret) if p["type"] == "ServiceLevelWarning"]

    wait_for(lambda: bool(warned()), "the service-level warning", within=90)
    alert = warned()[0]["data"]
    assert (alert["ticket_id"], alert["clock"], alert["priority"]) == (urgent, "first_response", "high")
    listed = httpx.get(f"{desk.url}/api/sla/alerts", headers=desk.agent, timeout=10).json()["alerts"]
    assert alert["id"] in [a["id"] for a in listed]

    payloads = receiver.verified(secret)
    assert_in_order_per_ticket(payloads)
    events = [p for p in payloads if "version" in p["data"]]
    assert {(p["data"]["ticket_id"], p["data"]["version"]) for p in events} == expected(tickets)
    assert not any(p["data"]["ticket_id"].startswith("$") for p in events)  # the policy's event is not sent
    duplicates = len(events) - len({p["data"]["id"] for p in events})
    assert duplicates <= 4  # at most the attempts in flight when the process was killed (WEBHOOKS_CONCURRENCY)
    first = next(p for p in events if p["data"]["ticket_id"] == urgent)
    assert first["data"]["data"]["subject"] == "Server room flooding"  # personal data opened for the partner
    log = desk.api("GET", f"/endpoints/{endpoint}/deliveries", params={"limit": 500}).json()["deliveries"]
    assert {d["status"] for d in log} == {"delivered"} and any(d["attempts"] >= 2 for d in log)

    # Redelivery from a position: the same webhook-ids again, as the next replay.
    position = first["data"]["position"]
    queued = desk.api("POST", f"/endpoints/{endpoint}/redeliver", json={"from_position": position})
    assert queued.status_code == 202, queued.text
    count = queued.json()["queued"]
    assert count == len(expected(tickets))
    seen = len(receiver.snapshot())
    wait_for(lambda: len(receiver.snapshot()) >= seen + count, "the redelivered events")
    again = [r.id for r in receiver.snapshot()[seen:]]
    assert set(again) == {f"evt_{p['data']['id']}" for p in events}
    assert_in_order_per_ticket([r.payload for r in receiver.snapshot()[seen:]])


def test_make_run_disables_a_failing_endpoint_and_an_admin_re_enables_it(desk: Desk, receiver: Receiver) -> None:
    desk.kill()
    desk.env |= {"WEBHOOKS_RETRY_SCHEDULE": "0.1", "WEBHOOKS_DISABLE_AFTER_FAILURES": "2"}
    desk.start()
    created = desk.api("POST", "/endpoints", json={"url": receiver.url, "event_types": ["Created"]})
    endpoint, secret = created.json()["endpoint"]["id"], created.json()["secret"]
    receiver.failing = True
    first, second = desk.create("Fax 1"), desk.create("Fax 2")

    def shown() -> dict[str, Any]:
        body: dict[str, Any] = desk.api("GET", f"/endpoints/{endpoint}").json()["endpoint"]
        return body

    wait_for(lambda: not shown()["enabled"], "the endpoint disabled after 2 final failures")
    assert "2 deliveries in a row failed" in (shown()["disabled_reason"] or "")
    receiver.failing = False
    missed = desk.create("Fax 3")  # committed while disabled: not queued
    enabled = desk.api("PATCH", f"/endpoints/{endpoint}", json={"enabled": True})
    assert enabled.status_code == 200 and enabled.json()["endpoint"]["failure_streak"] == 0
    last = desk.create("Fax 4")
    wait_for(lambda: (last, 1) in got(receiver, secret), "an event after re-enabling")
    assert got(receiver, secret) == {(last, 1)}, (first, second, missed)
