"""The shared middleware and error shape, on a minimal app."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from ticket_service.shell import create_shell
from ticket_workflow import NotEnabled, TicketNotFound
from ticket_workflow.ports import StoreUnavailable


class Body(BaseModel):
    name: str


def make_app() -> FastAPI:
    app = create_shell(title="test", version="0", max_body_bytes=100)

    @app.post("/echo")
    async def echo(body: Body) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/refuse/{kind}")
    async def refuse(kind: str) -> None:
        if kind == "missing":
            raise TicketNotFound("ticket 't' does not exist")
        if kind == "disabled":
            raise NotEnabled("resolve", "new")
        raise StoreUnavailable("PostgreSQL unreachable")

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app())
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_request_id_is_taken_or_made_and_echoed(client: httpx.AsyncClient) -> None:
    given = await client.post("/echo", json={"name": "x"}, headers={"X-Request-ID": "req-42"})
    assert given.headers["x-request-id"] == "req-42"
    made = await client.post("/echo", json={"name": "x"})
    assert len(made.headers["x-request-id"]) == 36


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/refuse/missing", 404, "ticket_not_found"),
        ("/refuse/disabled", 409, "transition_not_enabled"),
        ("/refuse/down", 503, "store_unavailable"),
        ("/nowhere", 404, "not_found"),
    ],
)
async def test_errors_share_one_shape(client: httpx.AsyncClient, path: str, status: int, code: str) -> None:
    response = await client.get(path, headers={"X-Request-ID": "r-1"})
    assert response.status_code == status
    body = response.json()
    assert body["success"] is False and body["code"] == code and body["message"] and body["request_id"] == "r-1"


async def test_malformed_json_is_400_and_invalid_body_names_the_field(client: httpx.AsyncClient) -> None:
    malformed = await client.post("/echo", content=b"{not json", headers={"content-type": "application/json"})
    assert (malformed.status_code, malformed.json()["code"]) == (400, "malformed_json")
    invalid = await client.post("/echo", json={"name": 5})
    assert invalid.status_code == 422 and invalid.json()["field"] == "name"


async def test_oversized_bodies_are_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", json={"name": "x" * 500})
    assert response.status_code == 413 and response.json()["code"] == "body_too_large"

    async def chunks():  # no content-length: the limit is enforced while reading
        for chunk in (b'{"name": "', b"x" * 200, b'"}'):
            yield chunk

    chunked = await client.post("/echo", content=chunks())
    assert chunked.status_code == 413
