"""POST /api/support-ticket."""

from __future__ import annotations

import uuid

import httpx

from tests.support.command_api import Desk, bearer
from ticket_eventstore.sqlite import SqliteEventStore

ALL_PLACES = ["new", "assigned", "in_progress", "escalated", "pending_customer", "resolved", "closed"]


async def test_create_without_a_body_answers_the_seed_shape(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/support-ticket", headers={**bearer("alice", "customer"), "Content-Type": "application/json"}
    )
    assert response.status_code == 201
    body = response.json()
    uuid.UUID(body["aggregate_id"])
    assert body["success"] is True
    assert body["version"] == 1
    assert body["place"] == "new"
    assert list(body["state"]) == ALL_PLACES
    assert body["state"] == {p: int(p == "new") for p in ALL_PLACES}
    assert body["enabled_transitions"] == ["assign"]
    assert body["available_transitions"] == []  # a customer may not assign
    assert body["position"] >= 1


async def test_create_records_the_body_and_the_requester(client: httpx.AsyncClient, store: SqliteEventStore) -> None:
    body = {"subject": "Printer on fire", "description": "It is smoking", "priority": "urgent"}
    response = await client.post("/api/support-ticket", headers=bearer("alice", "customer"), json=body)
    [created] = await store.read_stream(response.json()["aggregate_id"])
    assert created.type == "Created"
    assert created.data == {
        "aggregate_id": created.stream_id,
        "timestamp": created.data["timestamp"],
        **body,
        "requester": "alice",
    }
    assert created.metadata.actor == "alice"
    assert created.position == response.json()["position"]


async def test_an_agent_may_file_for_a_customer(client: httpx.AsyncClient, store: SqliteEventStore) -> None:
    response = await client.post("/api/support-ticket", headers=bearer("bob", "agent"), json={"requester": "carol"})
    assert response.status_code == 201
    assert response.json()["available_transitions"] == ["assign"]
    [created] = await store.read_stream(response.json()["aggregate_id"])
    assert created.data["requester"] == "carol"


async def test_a_customer_may_not_file_for_someone_else(client: httpx.AsyncClient, store: SqliteEventStore) -> None:
    response = await client.post(
        "/api/support-ticket", headers=bearer("alice", "customer"), json={"requester": "carol"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert await store.last_position() == 0


async def test_invalid_fields_are_named(client: httpx.AsyncClient, store: SqliteEventStore) -> None:
    cases = {
        "priority": {"priority": "whenever"},
        "subject": {"subject": "x" * 201},
        "colour": {"colour": "red"},
    }
    for field, body in cases.items():
        response = await client.post("/api/support-ticket", headers=bearer("alice", "customer"), json=body)
        assert response.status_code == 422, body
        assert response.json()["field"] == field
        assert response.json()["code"] == "invalid_request"
        assert field in response.json()["message"]
    assert await store.last_position() == 0


async def test_each_create_makes_a_new_ticket(desk: Desk) -> None:
    first, second = await desk.create(), await desk.create()
    assert first["aggregate_id"] != second["aggregate_id"]
    assert second["position"] > first["position"]
