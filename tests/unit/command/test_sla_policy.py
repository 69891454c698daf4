"""PUT /api/sla/policy: admins only, validated, versioned on the system stream, documented in AsyncAPI."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from tests.support.command_api import bearer
from ticket_eventstore.sqlite import SqliteEventStore
from ticket_eventstore.stream import encode
from ticket_workflow.streams import SLA_POLICY_STREAM

ADMIN = bearer("root", "admin")
POLICY: dict[str, Any] = {
    "targets": {"urgent": {"first_response_minutes": 30, "resolution_minutes": 240}},
    "calendar": {
        "time_zone": "Europe/Berlin",
        "days": [1, 2, 3, 4, 5],
        "start": "09:00",
        "end": "17:00",
        "holidays": ["2026-12-25"],
    },
}


async def test_an_admin_sets_the_policy_as_an_event_of_its_own_stream(
    client: httpx.AsyncClient, store: SqliteEventStore
) -> None:
    answer = await client.put("/api/sla/policy", headers=ADMIN, json=POLICY)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["success"] is True and body["version"] == 1 and body["position"] == 1
    assert body["policy"]["targets"]["urgent"] == {**POLICY["targets"]["urgent"], "warning_percent": 80}
    [event] = await store.read_stream(SLA_POLICY_STREAM)
    assert event.type == "ServiceLevelPolicySet" and event.metadata.actor == "root"
    assert event.data == body["policy"]
    again = await client.put("/api/sla/policy", headers=ADMIN, json={"targets": {}, "expected_version": 1})
    assert again.json()["version"] == 2 and again.json()["policy"] == {"targets": {}, "calendar": None}
    document = (await client.get("/asyncapi.json")).json()
    payload = document["channels"]["ticketEvents"]["messages"]["ServiceLevelPolicySet"]["payload"]
    for recorded in await store.read_stream(SLA_POLICY_STREAM):
        entry = encode(recorded)
        Draft202012Validator(payload).validate(entry)
        Draft202012Validator(payload["properties"]["data"]["contentSchema"]).validate(json.loads(entry["data"]))


async def test_a_stale_expected_version_is_a_conflict_and_writes_nothing(
    client: httpx.AsyncClient, store: SqliteEventStore
) -> None:
    assert (await client.put("/api/sla/policy", headers=ADMIN, json=POLICY)).status_code == 200
    stale = await client.put("/api/sla/policy", headers=ADMIN, json={**POLICY, "expected_version": 0})
    assert stale.status_code == 409
    assert stale.json()["code"] == "version_conflict" and stale.json()["success"] is False
    assert len(await store.read_stream(SLA_POLICY_STREAM)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"calendar": {**POLICY["calendar"], "time_zone": "Mars/Olympus"}}, "time_zone"),
        ({"calendar": {**POLICY["calendar"], "days": [0, 8]}}, "days"),
        ({"calendar": {**POLICY["calendar"], "start": "18:00"}}, "calendar"),
        ({"calendar": {**POLICY["calendar"], "start": "9am"}}, "start"),
        ({"calendar": {**POLICY["calendar"], "holidays": ["Christmas"]}}, "holidays"),
        ({"targets": {"urgent": {"first_response_minutes": 0}}}, "first_response_minutes"),
        ({"targets": {"urgent": {"resolution_minutes": -5}}}, "resolution_minutes"),
        ({"targets": {"urgent": {"warning_percent": 100}}}, "warning_percent"),
        ({"targets": {"critical": {"resolution_minutes": 5}}}, "critical"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_an_invalid_policy_is_refused_with_what_is_wrong(
    client: httpx.AsyncClient, store: SqliteEventStore, change: dict[str, Any], field: str
) -> None:
    answer = await client.put("/api/sla/policy", headers=ADMIN, json={**POLICY, **change})
    assert answer.status_code == 422, answer.text
    assert answer.json()["success"] is False and field in json.dumps(answer.json())
    assert await store.read_stream(SLA_POLICY_STREAM) == []


@pytest.mark.parametrize(("role", "status"), [("customer", 403), ("agent", 403), ("supervisor", 403)])
async def test_only_admins_set_the_policy(
    client: httpx.AsyncClient, store: SqliteEventStore, role: str, status: int
) -> None:
    answer = await client.put("/api/sla/policy", headers=bearer("someone", role), json=POLICY)
    assert answer.status_code == status and answer.json()["code"] == "forbidden"
    assert (await client.put("/api/sla/policy", json=POLICY)).status_code == 401
    assert await store.read_stream(SLA_POLICY_STREAM) == []
