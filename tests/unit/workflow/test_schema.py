from __future__ import annotations

import json

from ticket_workflow import SUPPORT_TICKET, describe


def test_the_description_is_json_and_names_every_element() -> None:
    doc = json.loads(json.dumps(describe(SUPPORT_TICKET)))
    assert doc["places"][0]["name"] == "new" and doc["places"][0]["initial"] == 1
    assert len(doc["transitions"]) == 9 and len(doc["arcs"]) == 18
    assert {"from": "closed", "to": "reopen", "weight": 1} in doc["arcs"]
    escalate = next(t for t in doc["transitions"] if t["name"] == "escalate")
    assert escalate["event_type"] == "Escalateed" and "reason" in escalate["data_schema"]["properties"]
    admin = next(r for r in doc["roles"] if r["name"] == "admin")
    assert admin["effective"] == ["admin", "agent", "supervisor"]
    assert doc["permissions"]["resolve_escalated"] == ["supervisor"]


def test_the_description_carries_the_nets_rules_as_data() -> None:
    doc = json.loads(json.dumps(describe(SUPPORT_TICKET)))
    effects = {t["name"]: t["effects"] for t in doc["transitions"]}
    assert effects["assign"]["assigns"] == "assignee"  # a UI pre-fills the caller from this
    assert effects["escalate"]["writes"] == [{"field": "reason", "kind": "escalation", "staff_only": True}]
    assert "assignee" in effects["reopen"]["clears"] and effects["reopen"]["counts"] == ["reopen_count"]
    assert [t for t, e in effects.items() if e["resolves"]] == ["resolve", "resolve_escalated"]
    assert {r["name"]: r["staff"] for r in doc["roles"]} == {
        "customer": False,
        "agent": True,
        "supervisor": True,
        "admin": True,
    }
