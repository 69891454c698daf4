"""Idempotency-Key: same key and body -> the original answer, nothing written; a different body -> 422."""

from __future__ import annotations

from tests.support.command_api import Desk, bearer
from ticket_eventstore.sqlite import SqliteEventStore


async def test_a_retried_create_returns_the_same_ticket(desk: Desk, store: SqliteEventStore) -> None:
    headers = {**desk.customer, "Idempotency-Key": "create-1"}
    first = await desk.client.post("/api/support-ticket", headers=headers, json={"subject": "Login fails"})
    before = await store.last_position()
    again = await desk.client.post("/api/support-ticket", headers=headers, json={"subject": "Login fails"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await store.last_position() == before
    [event] = await store.read_stream(first.json()["aggregate_id"])
    assert event.metadata.idempotency_key == "create-1"


async def test_a_retried_transition_returns_the_original_answer(desk: Desk, store: SqliteEventStore) -> None:
    ticket = await desk.ticket_in("new")
    headers = {**desk.agent, "Idempotency-Key": "assign-1"}
    body = {"aggregate_id": ticket, "data": {"note": "mine"}}
    first = await desk.client.post("/api/assign", headers=headers, json=body)
    await desk.fire("start_work", ticket, desk.agent)  # the ticket moves on
    before = await store.last_position()
    # Same JSON value, other key order and spacing: the same request.
    again = await desk.client.post(
        "/api/assign",
        headers={**headers, "Content-Type": "application/json"},
        content=b'{"data": {"note": "mine"},   "aggregate_id": "' + ticket.encode() + b'"}',
    )
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["place"] == "assigned"
    assert await store.last_position() == before


async def test_the_same_key_with_another_body_is_422(desk: Desk, store: SqliteEventStore) -> None:
    ticket = await desk.ticket_in("new")
    headers = {**desk.agent, "Idempotency-Key": "k-1"}
    assert (await desk.client.post("/api/assign", headers=headers, json={"aggregate_id": ticket})).status_code == 200
    before = await store.last_position()
    for path, body in [
        ("/api/assign", {"aggregate_id": ticket, "data": {"note": "different"}}),
        ("/api/start_work", {"aggregate_id": ticket}),
    ]:
        response = await desk.client.post(path, headers=headers, json=body)
        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert response.json()["field"] == "Idempotency-Key"
    assert await store.last_position() == before


async def test_keys_are_scoped_per_caller(desk: Desk, store: SqliteEventStore) -> None:
    first = await desk.client.post("/api/support-ticket", headers={**desk.customer, "Idempotency-Key": "same"})
    other = await desk.client.post(
        "/api/support-ticket", headers={**bearer("dave", "customer"), "Idempotency-Key": "same"}
    )
    assert (first.status_code, other.status_code) == (201, 201)
    assert first.json()["aggregate_id"] != other.json()["aggregate_id"]
    assert await store.last_position() == 2


async def test_a_refused_request_records_no_key(desk: Desk, store: SqliteEventStore) -> None:
    ticket = await desk.ticket_in("new")
    headers = {**desk.agent, "Idempotency-Key": "early"}
    refused = await desk.client.post("/api/start_work", headers=headers, json={"aggregate_id": ticket})
    assert refused.status_code == 409
    assert await store.recorded_response("bob", "early") is None
    await desk.fire("assign", ticket, desk.agent)
    accepted = await desk.client.post("/api/start_work", headers=headers, json={"aggregate_id": ticket})
    assert accepted.status_code == 200


async def test_an_invalid_key_is_422(desk: Desk, store: SqliteEventStore) -> None:
    for key in ["has space", "x" * 256]:
        response = await desk.client.post("/api/support-ticket", headers={**desk.customer, "Idempotency-Key": key})
        assert response.status_code == 422
        assert response.json()["field"] == "Idempotency-Key"
        assert response.json()["code"] == "invalid_idempotency_key"
    assert await store.last_position() == 0


async def test_a_create_retried_with_another_body_is_422(desk: Desk, store: SqliteEventStore) -> None:
    headers = {**desk.customer, "Idempotency-Key": "create-2"}
    first = await desk.client.post("/api/support-ticket", headers=headers, json={"subject": "Login fails"})
    assert first.status_code == 201
    for body in ({"subject": "Printer"}, None):
        response = await desk.client.post("/api/support-ticket", headers=headers, json=body)
        assert (response.status_code, response.json()["code"]) == (422, "idempotency_key_reused")
    assert await store.last_position() == 1
