"""The embedded mode (``make run``) as a newcomer runs it: one process, one port, one SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.events import ROUND_TRIP
from tests.support.processes import Process, clean_environment, free_port
from ticket_service.auth import mint_token

SECRET = "embedded-e2e-secret-0123456789abcdef"


def start(tmp_path: Path, **env: str) -> Process:
    port = free_port()
    environment = clean_environment(PORT=str(port), DB_PATH=str(tmp_path / "support-ticket.db"), **env)
    return Process(
        [sys.executable, "-m", "ticket_embedded"],
        environment,
        tmp_path / f"embedded-{port}.log",
        f"http://127.0.0.1:{port}",
    )


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Process]:
    process = start(tmp_path)
    process.wait_until("/ready")
    yield process
    process.stop()


def token(base: str, sub: str, role: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/debug/token", json={"sub": sub, "roles": [role]}, timeout=10)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def fire(base: str, who: dict[str, str], transition: str, ticket: str, **data: str) -> dict[str, object]:
    answer = httpx.post(
        f"{base}/api/{transition}", json={"aggregate_id": ticket, "data": data}, headers=who, timeout=10
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_start_prints_where_it_runs_and_how_to_get_tokens(embedded: Process) -> None:
    printed = embedded.output()
    assert embedded.url.replace("127.0.0.1", "localhost") in printed
    for role in ("customer", "agent", "supervisor", "admin"):
        assert f'"roles": ["{role}"]' in printed
    assert httpx.get(embedded.url + "/").status_code == 200  # the web UI


def test_a_ticket_lives_its_whole_life_and_survives_a_restart(embedded: Process, tmp_path: Path) -> None:
    base = embedded.url
    alice, bob, carol = (
        token(base, "alice", "customer"),
        token(base, "bob", "agent"),
        token(base, "carol", "supervisor"),
    )
    created = httpx.post(f"{base}/api/support-ticket", json={"subject": "VPN down"}, headers=alice, timeout=10)
    assert created.status_code == 201, created.text
    ticket = created.json()["aggregate_id"]
    for transition in ("assign", "start_work", "request_info"):
        fire(base, bob, transition, ticket)
    fire(base, alice, "customer_reply", ticket, message="It is the office VPN")
    fire(base, bob, "escalate", ticket, reason="needs network team")
    fire(base, carol, "resolve_escalated", ticket, resolution="router replaced")
    fire(base, bob, "close", ticket)
    last = fire(base, alice, "reopen", ticket, reason="down again")
    assert last["place"] == "new" and last["version"] == 9

    view = httpx.get(
        f"{base}/api/support-ticket/{ticket}", params={"min_position": last["position"]}, headers=alice, timeout=10
    ).json()
    assert (view["place"], view["version"], view["reopen_count"]) == ("new", 9, 1)
    assert [(m["kind"], m["body"]) for m in view["messages"]] == [
        ("customer_reply", "It is the office VPN"),
        ("resolution", "router replaced"),
        ("reopen", "down again"),
    ]
    embedded.stop()

    again = start(tmp_path)
    again.wait_until("/ready")
    try:
        after = httpx.get(f"{again.url}/api/support-ticket/{ticket}/events", headers=token(again.url, "bob", "agent"))
        assert after.status_code == 200
        assert [e["type"] for e in after.json()["events"]] == ROUND_TRIP
    finally:
        again.stop()


def test_the_live_stream_reports_changes(embedded: Process) -> None:
    base = embedded.url
    alice = token(base, "alice", "customer")
    with httpx.stream("GET", f"{base}/api/stream", headers=alice, timeout=10) as stream:
        created = httpx.post(f"{base}/api/support-ticket", headers=alice, timeout=10).json()
        for line in stream.iter_lines():
            if line.startswith("data:"):
                change = json.loads(line.removeprefix("data:"))
                assert change["aggregate_id"] == created["aggregate_id"]
                break


def test_tokens_in_the_query_string_are_masked_in_the_request_log(tmp_path: Path) -> None:
    process = start(tmp_path, LOG_LEVEL="info")
    process.wait_until("/ready")
    try:
        secret = token(process.url, "alice", "customer")["Authorization"][7:]
        url = f"{process.url}/api/stream?access_token={secret}"
        with httpx.stream("GET", url, timeout=10) as stream:
            assert stream.status_code == 200
        answered = httpx.get(f"{process.url}/api/support-ticket", params={"access_token": secret}, timeout=10)
        assert answered.status_code == 401  # only the live stream takes a token in the query string
    finally:
        process.stop()
    printed = process.output()
    assert "GET /api/stream?access_token=*** 200" in printed  # the request line (make run: text)
    assert secret not in printed


def test_without_debug_there_is_no_token_endpoint_and_jwt_secret_is_honoured(tmp_path: Path) -> None:
    process = start(tmp_path, DEBUG="false", JWT_SECRET=SECRET)
    process.wait_until("/ready")
    try:
        refused = httpx.post(f"{process.url}/api/debug/token", json={"sub": "eve", "roles": ["admin"]})
        assert refused.status_code in (404, 405)
        good = {"Authorization": f"Bearer {mint_token(SECRET, 'alice', ['customer'])}"}
        assert httpx.post(f"{process.url}/api/support-ticket", headers=good).status_code == 201
        forged = {"Authorization": f"Bearer {mint_token('some-other-secret-0123456789abcdef', 'eve', ['admin'])}"}
        assert httpx.post(f"{process.url}/api/support-ticket", headers=forged).status_code == 401
    finally:
        process.stop()


def test_without_debug_and_without_a_key_it_refuses_to_start(tmp_path: Path) -> None:
    env = clean_environment(PORT=str(free_port()), DB_PATH=str(tmp_path / "x.db"), DEBUG="false")
    done = subprocess.run(
        [sys.executable, "-m", "ticket_embedded"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "JWT_SECRET" in done.stderr
