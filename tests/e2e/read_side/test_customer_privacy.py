"""No staff-only text reaches a customer, end to end: real processes over HTTP with real JWTs, the distributed
system (command-api, relay, Redis, projector, query-api) and the embedded app alike.

Staff write a distinct marker into every staff-only field over a ticket's whole life (internal notes in every
phase, closed included; the `note` of every staff transition; both escalation reasons). The customer then reads
every route a customer can call, and a live stream opened before the ticket existed, and not one byte of any
marker is in what it got; staff read the same routes and get every marker, so the markers were really written.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import RedisNamespace
from tests.support.processes import Process, clean_environment, free_port
from ticket_service.auth import mint_token

SECRET = "privacy-e2e-secret-0123456789abcdef"
BIN = Path(sys.executable).parent
MARK = "qz-staff-secret"
LAST_REPLY = "All done"
TIMEOUT = 30.0  # a bound against hanging, not a speed assertion


def marker(n: int) -> str:
    return f"{MARK}-{n:02d}-"


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role])}"}


ALICE, BOB, ERIN = bearer("alice", "customer"), bearer("bob", "agent"), bearer("erin", "supervisor")


@dataclass(frozen=True)
class System:
    command: str
    query: str


@pytest.fixture
def distributed(database_url: str, redis_namespace: RedisNamespace, tmp_path: Path) -> Iterator[System]:
    env = clean_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        PROJECTOR_GROUP=redis_namespace.key("projector"),
        CONSUMER_NAME=redis_namespace.key("replica-1"),
        JWT_SECRET=SECRET,
        HOST="127.0.0.1",
    )
    for cli in ("ticket-command-api", "ticket-projector"):
        done = subprocess.run([str(BIN / cli), "migrate"], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    processes: dict[str, Process] = {}
    try:
        for name, cli, verb in (
            ("command", "ticket-command-api", "serve"),
            ("projector", "ticket-projector", "run"),
            ("query", "ticket-query-api", "serve"),
        ):
            port = free_port()
            processes[name] = Process(
                [str(BIN / cli), verb], env | {"PORT": str(port)}, tmp_path / f"{name}.log", f"http://127.0.0.1:{port}"
            )
        for process in processes.values():
            process.wait_until("/ready")
        yield System(processes["command"].url, processes["query"].url)
    finally:
        for process in processes.values():
            process.stop()


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[System]:
    port = free_port()
    env = clean_environment(
        PORT=str(port), DB_PATH=str(tmp_path / "support-ticket.db"), DEBUG="false", JWT_SECRET=SECRET
    )
    process = Process(
        [sys.executable, "-m", "ticket_embedded"], env, tmp_path / "embedded.log", f"http://127.0.0.1:{port}"
    )
    try:
        process.wait_until("/ready")
        yield System(process.url, process.url)
    finally:
        process.stop()


@dataclass
class Stream:
    """A live stream read in a thread, raw bytes kept, until ``done`` says a change was the last one."""

    url: str
    headers: dict[str, str]
    done: Callable[[dict[str, Any]], bool]
    raw: list[str] = field(default_factory=list)
    connected: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    failure: list[BaseException] = field(default_factory=list)

    def start(self) -> Stream:
        threading.Thread(target=self._read, daemon=True).start()
        assert self.connected.wait(TIMEOUT), self.failure
        return self

    def text(self) -> str:
        assert self.finished.wait(TIMEOUT), f"the stream never sent its last change; got:\n{''.join(self.raw)}"
        assert not self.failure, self.failure
        return "".join(self.raw)

    def _read(self) -> None:
        try:
            with httpx.stream("GET", self.url, headers=self.headers, timeout=TIMEOUT) as response:
                assert response.status_code == 200, response.read()
                # The stream's starting position is fixed before the headers are sent.
                self.connected.set()
                for line in response.iter_lines():
                    self.raw.append(line + "\n")
                    if line.startswith("data:") and self.done(json.loads(line.removeprefix("data:"))):
                        break
            self.finished.set()
        except BaseException as exc:  # reported by text()
            self.failure.append(exc)
            self.connected.set()
            self.finished.set()


class Life:
    """Commands over HTTP; every answer is a 2xx, and the last position is kept for read-your-writes."""

    def __init__(self, system: System, http: httpx.Client) -> None:
        self.system, self.http = system, http
        self.ticket = ""
        self.position = 0
        self.version = 0

    def _post(self, path: str, body: dict[str, Any], who: dict[str, str]) -> None:
        answer = self.http.post(f"{self.system.command}{path}", json=body, headers=who)
        assert answer.status_code in (200, 201), (path, answer.text)
        self.ticket = answer.json()["aggregate_id"]
        self.position, self.version = answer.json()["position"], answer.json()["version"]

    def create(self, who: dict[str, str], **data: Any) -> None:
        self._post("/api/support-ticket", data, who)

    def fire(self, who: dict[str, str], transition: str, **data: Any) -> None:
        self._post(f"/api/{transition}", {"aggregate_id": self.ticket, "data": data}, who)

    def note(self, who: dict[str, str], body: str) -> None:
        self._post(f"/api/support-ticket/{self.ticket}/notes", {"body": body}, who)

    def reply(self, who: dict[str, str], body: str) -> None:
        self._post(f"/api/support-ticket/{self.ticket}/replies", {"body": body}, who)


def live(life: Life) -> None:
    """The whole life, with a marker in every staff-only field (13 of them)."""
    life.create(ALICE, subject="Printer jams", description="Every morning", priority="high")
    life.note(BOB, marker(1))  # new
    life.fire(BOB, "assign", note=marker(2))
    life.fire(BOB, "start_work", note=marker(3))
    life.fire(BOB, "escalate", reason=marker(4), note=marker(5))
    life.note(ERIN, marker(6))  # escalated, by a supervisor
    life.fire(ERIN, "resolve_escalated", resolution="Roller replaced", note=marker(7))
    life.fire(BOB, "close", note=marker(8))
    life.note(BOB, marker(9))  # closed
    life.fire(ALICE, "reopen", reason="Jams again")
    life.fire(BOB, "assign", note=marker(10))
    life.fire(BOB, "start_work")
    life.fire(BOB, "request_info", message="Which tray?", note=marker(11))
    life.fire(ALICE, "customer_reply", message="Tray two")
    life.reply(BOB, "Ordering a part")
    life.fire(BOB, "escalate", reason=marker(12), note=marker(13))
    life.note(BOB, marker(14))
    life.fire(ERIN, "resolve_escalated", resolution="Tray two replaced", note=marker(15))
    life.reply(BOB, LAST_REPLY)  # public, and the last: a stream that has it has seen every change


MARKERS = [marker(n) for n in range(1, 16)]
PUBLIC = ["Printer jams", "Every morning", "Roller replaced", "Jams again", "Which tray?", "Tray two",
          "Ordering a part", "Tray two replaced", "All done"]  # fmt: skip


def read_every_route(http: httpx.Client, base: str, life: Life, who: dict[str, str]) -> list[bytes]:
    """Every answer of every read route a customer may call about the ticket (200s only)."""
    ticket = f"{base}/api/support-ticket/{life.ticket}"
    urls = [ticket, f"{ticket}/events"]
    urls += [f"{ticket}/at/{version}" for version in range(1, life.version + 1)]
    urls += [f"{base}/api/support-ticket{q}" for q in ("", "?q=printer", "?q=tray", f"?q=%23{life.ticket[:8]}")]
    answers = []
    fresh = {"X-Min-Position": str(life.position)}
    for url in urls:
        answer = http.get(url, headers=who | fresh)
        assert answer.status_code == 200, (url, answer.text)
        answers.append(answer.content)
    return answers


def searches(http: httpx.Client, base: str, who: dict[str, str], text: str) -> list[str]:
    answer = http.get(f"{base}/api/support-ticket", params={"q": text}, headers=who)
    assert answer.status_code == 200, answer.text
    return [t["aggregate_id"] for t in answer.json()["items"]]


def is_last(change: dict[str, Any]) -> bool:
    """The change of the life's last event (a public reply, so every stream gets it)."""
    return bool(change["messages"]) and change["messages"][-1]["body"] == LAST_REPLY


def replay(base: str, who: dict[str, str]) -> str:
    """The stream from position 0 (Last-Event-ID), as a client reconnecting after everything."""
    return Stream(f"{base}/api/stream", who | {"Last-Event-ID": "0"}, is_last).start().text()


@pytest.mark.parametrize("mode", ["distributed", "embedded"])
def test_a_customer_reads_no_staff_only_text_anywhere(mode: str, request: pytest.FixtureRequest) -> None:
    system: System = request.getfixturevalue(mode)
    base = system.query
    with httpx.Client(timeout=TIMEOUT) as http:
        life = Life(system, http)
        streams = {  # opened before the first event: they see the whole life as it happens
            name: Stream(f"{base}/api/stream?access_token={who['Authorization'][7:]}", {}, is_last).start()
            for name, who in (("alice", ALICE), ("bob", BOB))
        }
        live(life)

        customer = b"".join(read_every_route(http, base, life, ALICE))
        staff = b"".join(read_every_route(http, base, life, BOB))
        customer_stream, staff_stream = streams["alice"].text(), streams["bob"].text()
        customer_replay, staff_replay = replay(base, ALICE), replay(base, BOB)

        for denied in ("/api/stats", "/api/stats?tz=Europe/Berlin", "/api/people", "/api/people?role=agent"):
            answer = http.get(f"{base}{denied}", headers=ALICE)
            assert answer.status_code == 403 and answer.json()["code"] == "forbidden", (denied, answer.text)
            customer += answer.content
        for text in [MARK, *MARKERS]:
            assert searches(http, base, ALICE, text) == [], text
        # Staff find the ticket by its internal notes.
        assert all(searches(http, base, BOB, text) == [life.ticket] for text in (marker(1), marker(9), marker(14)))

    for text in MARKERS:
        assert text.encode() in staff, f"{text} never reached staff: the test wrote nothing to hide"
        assert text in staff_stream and text in staff_replay, text
    assert MARK.encode() not in customer
    assert MARK not in customer_stream and MARK not in customer_replay
    assert "InternalNoteAdded" not in customer_stream + customer_replay + customer.decode()
    for text in PUBLIC:  # what the customer may read did arrive, on every path
        assert text.encode() in customer and text in customer_stream and text in customer_replay, text
