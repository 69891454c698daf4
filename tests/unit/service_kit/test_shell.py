"""The shell every service is built in: ``/ready`` composed from readiness checks, ``/health`` from their ``dead``
hooks, lifespans in order, and the one middleware's order (the request id on refusals and failures alike)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from ticket_service.shell import NotReady, ReadinessCheck, add_checks, add_lifespan, create_shell


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://shell")


async def store_ok() -> dict[str, Any]:
    return {"last_position": 7}


async def projection_ok() -> dict[str, Any]:
    return {"checkpoint": 5, "lag": 2}


async def broken() -> Any:
    raise ConnectionRefusedError("connection refused")


async def halted() -> Any:
    raise NotReady("halted at 6", code="projection_halted", status="halted", checkpoint=5, poison_event={"p": 6})


def shell(*checks: ReadinessCheck) -> FastAPI:
    app = create_shell(title="shell", version="0", max_body_bytes=64)
    add_checks(app, checks)
    return app


async def test_ready_when_every_check_passes_with_each_checks_details_and_the_headline_on_top() -> None:
    app = shell(ReadinessCheck("store", store_ok), ReadinessCheck("projection", projection_ok, headline=True))
    async with client_of(app) as client:
        ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "success": True,
        "status": "ready",
        "checks": {"store": {"last_position": 7}, "projection": {"checkpoint": 5, "lag": 2}},
        "checkpoint": 5,
        "lag": 2,
    }


async def test_one_failing_check_makes_ready_503_naming_it() -> None:
    app = shell(ReadinessCheck("store", store_ok), ReadinessCheck("postgres", broken))
    async with client_of(app) as client:
        ready = await client.get("/ready")
    body = ready.json()
    assert ready.status_code == 503
    assert (body["success"], body["code"], body["status"]) == (False, "not_ready", "not_ready")
    assert body["message"] == "postgres: ConnectionRefusedError: connection refused"
    assert body["checks"] == {"store": {"last_position": 7}, "postgres": {"error": body["message"][10:]}}


async def test_a_not_ready_check_gives_its_code_status_and_details() -> None:
    app = shell(ReadinessCheck("store", broken), ReadinessCheck("projection", halted, headline=True))
    async with client_of(app) as client:
        body = (await client.get("/ready")).json()
    assert (body["code"], body["status"]) == ("not_ready", "not_ready")  # the first failing check's
    assert body["message"] == "store: ConnectionRefusedError: connection refused; projection: halted at 6"
    assert body["checks"]["projection"] == {"checkpoint": 5, "poison_event": {"p": 6}}
    assert (body["checkpoint"], body["poison_event"]) == (5, {"p": 6})  # a headline, failing or not


async def test_no_check_at_all_is_not_ready() -> None:
    async with client_of(shell()) as client:
        ready = await client.get("/ready")
    assert (ready.status_code, ready.json()["status"]) == (503, "starting")


async def test_health_fails_while_a_check_reports_its_process_dead() -> None:
    why: list[str | None] = [None]
    app = shell(ReadinessCheck("relay", store_ok, dead=lambda: why[0]))
    async with client_of(app) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        why[0] = "background task ended: 'relay'"
        health = await client.get("/health")
    assert health.status_code == 503
    assert health.json() == {"status": "dead", "code": "not_alive", "message": "background task ended: 'relay'"}


def test_two_checks_of_one_name_are_a_wiring_mistake() -> None:
    with pytest.raises(ValueError, match="store"):
        shell(ReadinessCheck("store", store_ok), ReadinessCheck("store", broken))


async def test_lifespans_open_in_the_order_added_and_close_in_reverse() -> None:
    app = shell()
    seen: list[str] = []

    def part(name: str) -> Any:
        @asynccontextmanager
        async def opened() -> AsyncIterator[None]:
            seen.append(f"open {name}")
            yield
            seen.append(f"close {name}")

        return opened

    add_lifespan(app, part("storage"))
    add_lifespan(app, part("commands"))
    async with app.router.lifespan_context(app):
        assert seen == ["open storage", "open commands"]
    assert seen == ["open storage", "open commands", "close commands", "close storage"]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = shell(ReadinessCheck("store", store_ok))

    @app.get("/bug")
    async def bug() -> None:
        raise ZeroDivisionError("a bug")

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return body

    async with client_of(app) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/bug", None, 500, "internal_error"),
        ("GET", "/bug?q=%00", None, 422, "invalid_request"),  # hygiene comes before any route
        ("POST", "/echo", b'{"text": "' + b"x" * 100 + b'"}', 413, "body_too_large"),
        ("GET", "/nowhere", None, 404, "not_found"),
        ("GET", "/ready", None, 200, None),
    ],
)
async def test_every_answer_carries_the_request_id_refusals_and_failures_included(
    client: httpx.AsyncClient, method: str, path: str, body: bytes | None, status: int, code: str | None
) -> None:
    answer = await client.request(method, path, content=body, headers={"X-Request-ID": "trace-1"})
    assert answer.status_code == status
    assert answer.headers["x-request-id"] == "trace-1"
    if code is not None:
        assert answer.headers["content-type"] == "application/json"
        assert (answer.json()["code"], answer.json()["request_id"]) == (code, "trace-1")


async def test_an_unsafe_request_id_is_replaced_by_a_fresh_one_on_a_failure(client: httpx.AsyncClient) -> None:
    answer = await client.get("/bug", headers={"X-Request-ID": "no spaces allowed"})
    assert answer.status_code == 500
    made = answer.headers["x-request-id"]
    assert made != "no spaces allowed" and answer.json()["request_id"] == made
