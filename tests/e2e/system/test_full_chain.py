"""The distributed system as real processes: a command through command-api travels through the event store, the
relay, the Redis stream and the projector, and is visible through query-api and its live stream, to the right
callers only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import RedisNamespace
from tests.support.processes import clean_environment, three_services
from ticket_service.auth import mint_token

SECRET = "full-chain-secret-0123456789abcdef"


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role])}"}


@pytest.fixture
def system(database_url: str, redis_namespace: RedisNamespace, tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = clean_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        PROJECTOR_GROUP=redis_namespace.key("projector"),
        CONSUMER_NAME=redis_namespace.key("replica-1"),
        JWT_SECRET=SECRET,
        HOST="127.0.0.1",
    )
    with three_services(env, tmp_path) as urls:
        yield urls | {"stream": redis_namespace.key("events")}


def collect(url: str, headers: dict[str, str], count: int, into: list[dict[str, Any]], ready: threading.Event) -> None:
    try:
        with httpx.stream("GET", url, headers=headers | {"Last-Event-ID": "0"}, timeout=30) as response:
            ready.set()
            for line in response.iter_lines():
                if line.startswith("data:"):
                    into.append(json.loads(line.removeprefix("data:")))
                    if len(into) >= count:
                        return
    except httpx.TransportError:
        return  # the services stopped at the end of the test while this watcher still listened


def test_a_command_reaches_the_query_side_and_the_stream(
    system: dict[str, Any], redis_namespace: RedisNamespace
) -> None:
    command, query = system["command"], system["query"]
    alice, mallory, bob = bearer("alice", "customer"), bearer("mallory", "customer"), bearer("bob", "agent")

    seen_by_bob: list[dict[str, Any]] = []
    seen_by_mallory: list[dict[str, Any]] = []
    started = threading.Event(), threading.Event()
    watchers = [
        threading.Thread(target=collect, args=(f"{query}/api/stream", bob, 2, seen_by_bob, started[0]), daemon=True),
        threading.Thread(
            target=collect, args=(f"{query}/api/stream", mallory, 1, seen_by_mallory, started[1]), daemon=True
        ),
    ]
    for watcher in watchers:
        watcher.start()
    assert all(flag.wait(30) for flag in started)

    created = httpx.post(f"{command}/api/support-ticket", json={"subject": "Laptop will not boot"}, headers=alice)
    assert created.status_code == 201, created.text
    ticket = created.json()["aggregate_id"]
    assign = {"aggregate_id": ticket, "data": {"note": "on it"}}
    assigned = httpx.post(f"{command}/api/assign", json=assign, headers=bob | {"Idempotency-Key": "assign-1"})
    again = httpx.post(f"{command}/api/assign", json=assign, headers=bob | {"Idempotency-Key": "assign-1"})
    assert assigned.status_code == again.status_code == 200 and again.json() == assigned.json()
    position = assigned.json()["position"]

    view = httpx.get(f"{query}/api/support-ticket/{ticket}", params={"min_position": position}, headers=alice)
    assert view.status_code == 200, view.text
    assert (view.json()["place"], view.json()["version"], view.json()["assignee"]) == ("assigned", 2, "bob")
    assert view.json()["available_transitions"] == []
    assert httpx.get(f"{query}/api/support-ticket/{ticket}", headers=mallory).status_code == 404
    trail = httpx.get(f"{query}/api/support-ticket/{ticket}/events", headers=bob).json()["events"]
    assert [(e["type"], e["actor"]) for e in trail] == [("Created", "alice"), ("Assigned", "bob")]

    for watcher in watchers[:1]:
        watcher.join(30)
    assert [(c["aggregate_id"], c["event_type"]) for c in seen_by_bob] == [(ticket, "Created"), (ticket, "Assigned")]
    assert seen_by_mallory == []  # nothing of alice's ticket reached another customer

    plain = redis.Redis.from_url(redis_namespace.url, decode_responses=True)
    try:
        entries = plain.xrange(system["stream"])
    finally:
        plain.close()
    assert [entry_id for entry_id, _ in entries][-1] == f"{position}-0"
    assert [(f["type"], f["stream_id"], f["version"]) for _, f in entries] == [
        ("Created", ticket, "1"),
        ("Assigned", ticket, "2"),
    ]
    assert json.loads(entries[1][1]["metadata"])["idempotency_key"] == "assign-1"
