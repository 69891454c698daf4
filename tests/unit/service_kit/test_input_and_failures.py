"""The shared middleware on a minimal app: unsafe text refused before any route, failures in the shared shape
(503 with Retry-After for a store, 500 for a bug), 405 naming every allowed method, the keep-alive kept."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from ticket_service.shell import create_shell
from ticket_workflow.ports import StoreUnavailable

FAILURES: dict[str, BaseException] = {
    "refused": ConnectionRefusedError("connection refused"),
    "timeout": TimeoutError(),
    "state": asyncpg.InternalClientError("cannot switch to state 15; another operation is in progress"),
    "shutdown": asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    "lock": asyncpg.LockNotAvailableError("canceling statement due to lock timeout"),
    "store": StoreUnavailable("PostgreSQL unreachable"),
    "locked": sqlite3.OperationalError("database is locked"),
}


def make_app() -> FastAPI:
    app = create_shell(title="test", version="0", max_body_bytes=1000)

    @app.get("/items/{item}")
    async def read(item: str, q: str | None = None) -> dict[str, str]:
        return {"item": item, "q": q or ""}

    @app.post("/items/{item}")
    async def write(item: str) -> dict[str, str]:
        return {"item": item}

    @app.get("/fail/{kind}")
    async def fail(kind: str) -> None:
        raise FAILURES.get(kind, RuntimeError("a bug"))

    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def refused(response: httpx.Response, field: str) -> None:
    body = response.json()
    assert response.status_code == 422, body
    assert (body["success"], body["code"], body["field"]) == (False, "invalid_request", field)
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("path", ["/items/ab%00cd", "/items/x?q=%00", "/items/x?q=ok&other=a%00b"])
async def test_nul_in_the_path_or_the_query_is_refused(client: httpx.AsyncClient, path: str) -> None:
    field = "path" if "?" not in path else ("q" if "q=%00" in path else "other")
    refused(await client.get(path), field)


@pytest.mark.parametrize("header", ["Idempotency-Key", "X-Request-ID", "Last-Event-ID", "X-Min-Position"])
@pytest.mark.parametrize("value", [b"a\x00b", b"\xb2", b"\x1b[2J"])
async def test_unprintable_read_headers_are_refused(client: httpx.AsyncClient, header: str, value: bytes) -> None:
    refused(await client.get("/items/x", headers={header: value}), header)


async def test_clean_input_passes(client: httpx.AsyncClient) -> None:
    answer = await client.get("/items/caf%C3%A9?q=%C3%BC%20ok", headers={"Idempotency-Key": "k-1", "X-Request-ID": "r"})
    assert (answer.status_code, answer.json()) == (200, {"item": "café", "q": "ü ok"})


@pytest.mark.parametrize("kind", sorted(FAILURES))
async def test_a_store_failure_is_503_with_retry_after(client: httpx.AsyncClient, kind: str) -> None:
    answer = await client.get(f"/fail/{kind}")
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "store_unavailable" and answer.headers["retry-after"] == "1"


async def test_a_bug_is_500_in_the_shared_shape(client: httpx.AsyncClient) -> None:
    answer = await client.get("/fail/bug", headers={"X-Request-ID": "r-9"})
    assert answer.status_code == 500
    assert answer.json() == {
        "success": False,
        "code": "internal_error",
        "message": "unexpected error; see the service log",
        "request_id": "r-9",
    }
    assert "retry-after" not in answer.headers


async def test_a_method_the_path_does_not_serve_is_405_naming_the_others(client: httpx.AsyncClient) -> None:
    for method in ("TRACE", "DELETE", "PUT"):
        answer = await client.request(method, "/items/x")
        assert answer.status_code == 405 and answer.json()["code"] == "method_not_allowed"
        assert answer.headers["allow"] == "GET, POST"


def test_the_document_names_every_answer_and_no_null_parameter() -> None:
    document = make_app().openapi()
    for path in document["paths"].values():
        for operation in path.values():
            assert {"422", "500"} <= operation["responses"].keys()
            for parameter in operation.get("parameters", []):
                assert "anyOf" not in parameter["schema"], parameter
    [item, q] = document["paths"]["/items/{item}"]["get"]["parameters"]
    assert item["schema"]["pattern"] == q["schema"]["pattern"] == r"^[^\x00]*$"
