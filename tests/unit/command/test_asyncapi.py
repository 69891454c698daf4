"""``/asyncapi.json`` is a well-formed AsyncAPI 3 document, and the entries the relay publishes (``stream.encode``)
are exactly what it describes, for every event type the workflow records (the conversation's included)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from tests.support.command_api import Desk, bearer
from ticket_command.asyncapi import STAFF_ONLY_TEXT
from ticket_eventstore.sqlite import SqliteEventStore
from ticket_eventstore.stream import FIELDS, encode
from ticket_workflow import EVENT_TYPES

# One walk through the net that records every event type (with data where a transition takes some).
WALK: list[tuple[str, str, dict[str, Any] | None]] = [
    ("assign", "agent", {"assignee": "bob", "note": "mine"}),
    ("start_work", "agent", None),
    ("request_info", "agent", {"message": "Which client?"}),
    ("customer_reply", "customer", {"message": "The new one"}),
    ("escalate", "agent", {"reason": "network team"}),
    ("resolve_escalated", "supervisor", {"resolution": "router restarted"}),
    ("close", "agent", None),
    ("reopen", "customer", {"reason": "down again"}),
    ("assign", "agent", None),
    ("start_work", "agent", None),
    ("resolve", "agent", {"resolution": "fixed"}),
]


TOP_LEVEL = {"asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations", "components"}


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


async def test_the_document_is_well_formed_asyncapi_3(client: httpx.AsyncClient) -> None:
    document = (await client.get("/asyncapi.json")).json()
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert set(document) <= TOP_LEVEL
    for name, channel in document["channels"].items():
        assert channel["address"], name
        for message in channel["messages"].values():
            Draft202012Validator.check_schema(message["payload"])
    for name, operation in document["operations"].items():
        assert operation["action"] in ("send", "receive"), name
        channel = resolve(document, operation["channel"]["$ref"])
        referenced = [resolve(document, m["$ref"]) for m in operation["messages"]]
        assert referenced == list(channel["messages"].values())  # an operation's messages belong to its channel


async def test_every_published_entry_matches_its_message(desk: Desk, store: SqliteEventStore) -> None:
    people = {"agent": desk.agent, "customer": desk.customer, "supervisor": bearer("sue", "supervisor")}
    ticket = (await desk.create(subject="VPN down", priority="high"))["aggregate_id"]
    for transition, who, data in WALK:
        body = {"data": data} if data else {}
        assert (await desk.fire(transition, ticket, people[who], **body)).status_code == 200
    for route, who in (("replies", desk.customer), ("notes", desk.agent)):  # the conversation's events
        posted = await desk.client.post(f"/api/support-ticket/{ticket}/{route}", headers=who, json={"body": "hi"})
        assert posted.status_code == 200, posted.text
    document = (await desk.client.get("/asyncapi.json")).json()
    messages = document["channels"]["ticketEvents"]["messages"]

    recorded = await store.read_all()
    assert {e.type for e in recorded} == set(EVENT_TYPES)  # the walk covered every message
    for event in recorded:
        entry = encode(event)
        payload = messages[event.type]["payload"]
        assert list(payload["properties"]) == list(FIELDS) == list(entry)
        Draft202012Validator(payload).validate(entry)
        for field in ("data", "metadata"):
            schema = payload["properties"][field]["contentSchema"]
            Draft202012Validator(schema).validate(json.loads(entry[field]))
        data_fields = set(payload["properties"]["data"]["contentSchema"]["properties"])
        assert set(json.loads(entry["data"])) <= data_fields, event.type  # nothing undocumented is published
    other = encode(recorded[0]) | {"type": "Assigned"}
    assert not Draft202012Validator(messages["Created"]["payload"]).is_valid(other)


async def test_the_data_schemas_say_what_the_net_keeps_for_staff_and_what_is_always_there(
    client: httpx.AsyncClient,
) -> None:
    messages = (await client.get("/asyncapi.json")).json()["channels"]["ticketEvents"]["messages"]

    def data_schema(event_type: str) -> dict[str, Any]:
        schema: dict[str, Any] = messages[event_type]["payload"]["properties"]["data"]["contentSchema"]
        return schema

    def staff_only(event_type: str) -> set[str]:
        fields = data_schema(event_type)["properties"]
        return {name for name, field in fields.items() if field.get("description", "").endswith(STAFF_ONLY_TEXT)}

    assert staff_only("Escalateed") == {"note", "reason"}  # the escalation reason is an internal note
    assert staff_only("Reopened") == staff_only("Resolveed") == {"note"}
    assert staff_only("ReplyAdded") == staff_only("Created") == set()
    assert "assignee" in data_schema("Assigned")["required"]  # decide fills in the caller when none is named
    assert "assignee" not in data_schema("StartWorked")["properties"]
