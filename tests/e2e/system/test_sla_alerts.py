"""A breach raised on time with no event arriving: the distributed system as real processes, a policy whose
targets are a minute (warning at half), one ticket created, then nothing sent. The warnings and breaches of both
clocks arrive on the alerts stream within a few seconds of their instants, each once; the query API lists them
for staff and shows the ticket breached; the projector's metrics count them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import redis

from tests.conftest import RedisNamespace
from tests.support.processes import clean_environment, three_services
from ticket_service.auth import mint_token

Batch = list[tuple[str, list[tuple[str, dict[str, str]]]]]
SECRET = "sla-alerts-secret-0123456789abcdef"
ON_TIME = 5.0  # seconds: the most an alert may arrive after its instant (the timer's round is 1 s)
POLICY = {
    "targets": {"high": {"first_response_minutes": 1, "resolution_minutes": 1, "warning_percent": 50}},
    "calendar": None,
}


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role])}"}


@pytest.fixture
def system(database_url: str, redis_namespace: RedisNamespace, tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = clean_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        SLA_ALERT_STREAM=redis_namespace.key("sla-alerts"),
        PROJECTOR_GROUP=redis_namespace.key("projector"),
        CONSUMER_NAME=redis_namespace.key("replica-1"),
        JWT_SECRET=SECRET,
        HOST="127.0.0.1",
    )
    with three_services(env, tmp_path) as urls:
        yield urls | {
            "events": redis_namespace.key("events"),
            "alerts": redis_namespace.key("sla-alerts"),
            "redis": redis_namespace.url,
        }


def test_warnings_and_breaches_arrive_on_time_with_no_event(system: dict[str, Any]) -> None:
    admin, agent, customer = bearer("dave", "admin"), bearer("bob", "agent"), bearer("alice", "customer")
    client = redis.Redis.from_url(system["redis"], decode_responses=True)
    set_policy = httpx.put(f"{system['command']}/api/sla/policy", headers=admin, json=POLICY, timeout=10)
    assert set_policy.status_code == 200, set_policy.text
    created = httpx.post(
        f"{system['command']}/api/support-ticket",
        headers=customer,
        json={"subject": "VPN down", "priority": "high"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    ticket, position = created.json()["aggregate_id"], created.json()["position"]
    read = httpx.get(
        f"{system['query']}/api/support-ticket/{ticket}", params={"min_position": position}, headers=agent, timeout=10
    )
    assert read.status_code == 200, read.text
    sla = read.json()["sla"]
    assert sla["status"] == "ok", sla
    events_before = client.xlen(system["events"])

    # Nothing is sent from here on: only the clock moves.
    arrived: dict[str, float] = {}
    entries: list[dict[str, str]] = []
    last = "0"
    deadline = time.monotonic() + 120
    while len(entries) < 4:
        assert time.monotonic() < deadline, f"alerts seen within 120 s: {entries}"
        batch = cast(Batch, client.xread({system["alerts"]: last}, block=1000, count=10))
        for _, found in batch or []:
            for entry_id, fields in found:
                last = entry_id
                entries.append(fields)
                arrived[fields["id"]] = time.time()

    assert client.xlen(system["events"]) == events_before, "an event arrived: the alerts must come without one"
    assert sorted((e["clock"], e["type"]) for e in entries) == [
        ("first_response", "ServiceLevelBreached"),
        ("first_response", "ServiceLevelWarning"),
        ("resolution", "ServiceLevelBreached"),
        ("resolution", "ServiceLevelWarning"),
    ]
    delays = {}
    for entry in entries:
        assert entry["ticket_id"] == ticket and entry["priority"] == "high"
        assert entry["id"] == f"{ticket}:{entry['clock']}:{entry['type'][12:].lower()}:{entry['due_at']}"
        instant = _epoch(entry["warning_at"] if entry["type"] == "ServiceLevelWarning" else entry["due_at"])
        raised = _epoch(entry["raised_at"])
        assert instant <= raised, f"raised before its instant: {entry}"
        delays[(entry["clock"], entry["type"])] = round(arrived[entry["id"]] - instant, 3)
        assert arrived[entry["id"]] - instant <= ON_TIME, f"late: {entry}, arrived {arrived[entry['id']]}"
    print(f"\nseconds from each instant to its entry on the alerts stream: {delays}")

    time.sleep(2.5)  # two more rounds of the timer: nothing is raised twice
    assert client.xlen(system["alerts"]) == 4
    listed = httpx.get(f"{system['query']}/api/sla/alerts", headers=agent, timeout=10)
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()["alerts"]] == [e["id"] for e in entries]
    assert listed.json()["next"] == listed.json()["alerts"][-1]["seq"]
    later = httpx.get(f"{system['query']}/api/sla/alerts", params={"after": listed.json()["next"]}, headers=agent)
    assert later.json()["alerts"] == []
    refused = httpx.get(f"{system['query']}/api/sla/alerts", headers=customer, timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    shown = httpx.get(f"{system['query']}/api/support-ticket/{ticket}", headers=agent, timeout=10).json()["sla"]
    assert shown["status"] == "breached", shown
    metrics = httpx.get(f"{system['projector']}/metrics", timeout=10).text
    assert 'ticket_sla_alerts_total{type="ServiceLevelBreached"} 2.0' in metrics
    assert 'ticket_sla_alerts_total{type="ServiceLevelWarning"} 2.0' in metrics
    assert "ticket_sla_timer_leader 1.0" in metrics
    assert "ticket_sla_alert_delay_seconds_count 4.0" in metrics


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()
