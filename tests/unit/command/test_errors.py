"""Every error answer: its status, its stable code, the field it names, and that nothing was written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from tests.support.command_api import Desk, bearer, client_for
from ticket_eventstore.ports import RecordedResponse
from ticket_eventstore.sqlite import SqliteEventStore
from ticket_workflow import Event
from ticket_workflow.ports import StoreUnavailable

JSON = {"Content-Type": "application/json"}


async def test_malformed_json_is_400(desk: Desk, store: SqliteEventStore) -> None:
    ticket = await desk.ticket_in("new")
    before = await store.last_position()
    for path, payload in [("/api/assign", b'{"aggregate_id": '), ("/api/support-ticket", b"{nope")]:
        response = await desk.client.post(path, headers={**desk.agent, **JSON}, content=payload)
        assert response.status_code == 400, path
        assert response.json()["code"] == "malformed_json"
        assert response.json()["success"] is False
        assert response.json()["request_id"] == response.headers["X-Request-ID"]
    assert await store.last_position() == before
    assert ticket


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "aggregate_id"),
        ({"aggregate_id": ""}, "aggregate_id"),
        ({"aggregate_id": 7}, "aggregate_id"),
        ({"aggregate_id": "t", "data": {"note": "x" * 2001}}, "data.note"),
        ({"aggregate_id": "t", "data": {"assignee": ""}}, "data.assignee"),
        ({"aggregate_id": "t", "data": {"reason": "not for assign"}}, "data.reason"),
        ({"aggregate_id": "t", "data": "text"}, "data"),
        ({"aggregate_id": "t", "expected_version": -1}, "expected_version"),
        ({"aggregate_id": "t", "colour": "red"}, "colour"),
    ],
)
async def test_an_invalid_body_is_422_naming_the_field(
    desk: Desk, store: SqliteEventStore, body: dict[str, Any], field: str
) -> None:
    ticket = await desk.ticket_in("new")
    before = await store.last_position()
    if body.get("aggregate_id") == "t":
        body = {**body, "aggregate_id": ticket}
    response = await desk.client.post("/api/assign", headers=desk.agent, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field
    assert response.json()["message"].startswith(f"{field}:")
    assert await store.last_position() == before


async def test_a_json_array_is_422(desk: Desk) -> None:
    response = await desk.client.post("/api/assign", headers=desk.agent, json=[1, 2])
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


async def test_a_body_over_the_limit_is_413(desk: Desk, store: SqliteEventStore) -> None:
    ticket = await desk.ticket_in("new")
    before = await store.last_position()
    huge = {"aggregate_id": ticket, "data": {"note": "x" * 70_000}}
    response = await desk.client.post("/api/assign", headers=desk.agent, json=huge)
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert response.headers["X-Request-ID"] == response.json()["request_id"]

    async def chunks() -> Any:  # no Content-Length: the limit applies while streaming
        for _ in range(70):
            yield b"x" * 1024

    streamed = await desk.client.post("/api/assign", headers={**desk.agent, **JSON}, content=chunks())
    assert streamed.status_code == 413
    assert await store.last_position() == before


async def test_unknown_paths_and_methods(desk: Desk) -> None:
    missing = await desk.client.post("/api/teleport", headers=desk.agent, json={"aggregate_id": "x"})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong = await desk.client.get("/api/assign", headers=desk.agent)
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")


class UnreachableStore:
    """An event store whose database is down."""

    async def append(self, stream_id: str, expected_version: int, events: Sequence[Event], **_: Any) -> list[Event]:
        raise StoreUnavailable("PostgreSQL unreachable: connection refused")

    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, up_to_version: int | None = None
    ) -> list[Event]:
        raise StoreUnavailable("PostgreSQL unreachable: connection refused")

    async def read_all(self, after_position: int = 0, limit: int = 500) -> list[Event]:
        raise StoreUnavailable("PostgreSQL unreachable: connection refused")

    async def last_position(self) -> int:
        raise StoreUnavailable("PostgreSQL unreachable: connection refused")

    async def recorded_response(self, actor: str, key: str) -> RecordedResponse | None:
        raise StoreUnavailable("PostgreSQL unreachable: connection refused")


async def test_an_unreachable_store_is_503_and_not_ready() -> None:
    async with client_for(UnreachableStore()) as client:
        customer = bearer("alice", "customer")
        created = await client.post("/api/support-ticket", headers=customer)
        assert (created.status_code, created.json()["code"]) == (503, "store_unavailable")
        fired = await client.post("/api/assign", headers=bearer("bob", "agent"), json={"aggregate_id": "x"})
        assert fired.status_code == 503
        keyed = await client.post("/api/support-ticket", headers={**customer, "Idempotency-Key": "k"})
        assert keyed.status_code == 503
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "not_ready"
        assert (await client.get("/health")).status_code == 200


async def test_errors_are_documented_in_openapi(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for transition in ("assign", "start_work", "escalate", "request_info", "customer_reply", "resolve"):
        responses = spec["paths"][f"/api/{transition}"]["post"]["responses"]
        assert {"200", "400", "401", "403", "404", "409", "413", "422", "503"} <= set(responses)
        assert responses["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    create = spec["paths"]["/api/support-ticket"]["post"]["responses"]
    assert {"201", "400", "401", "403", "413", "422", "503"} <= set(create)
    assert "AssignRequest" in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


async def test_a_refused_body_records_no_idempotency_key(desk: Desk, store: SqliteEventStore) -> None:
    """400 and 413 write nothing, the key included: the corrected retry with the same key is carried out."""
    ticket = await desk.ticket_in("new")
    before = await store.last_position()
    headers = {**desk.agent, **JSON, "Idempotency-Key": "fix-and-retry"}
    malformed = await desk.client.post("/api/assign", headers=headers, content=b'{"aggregate_id": ')
    too_large = await desk.client.post(
        "/api/assign", headers=headers, json={"aggregate_id": ticket, "data": {"note": "x" * 70_000}}
    )
    assert (malformed.status_code, too_large.status_code) == (400, 413)
    assert await store.recorded_response("bob", "fix-and-retry") is None
    assert await store.last_position() == before
    retried = await desk.client.post("/api/assign", headers=headers, json={"aggregate_id": ticket})
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers
