"""The command API, the query API, the projector and the embedded app are built in the same shell: an error no
handler takes is JSON in the shared shape (500 for a bug, 503 for a store), with the request id, in each of them;
and the embedded app's ``/ready`` is the three installs' checks, not a fourth implementation."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from tests.support.command_api import settings as command_settings
from tests.support.scenarios import Ticket
from ticket_command.app import create_app as create_command_app
from ticket_embedded.app import create_app as create_embedded_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_projector.app import create_app as create_projector_app
from ticket_projector.settings import ProjectorSettings
from ticket_query.app import create_app as create_query_app
from ticket_query.settings import QuerySettings
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings, mint_token

SECRET = "one-shell-test-secret-0123456789abcdef"
AUTH = AuthSettings(secret=SECRET)
FAILURES: dict[str, Exception] = {
    "bug": KeyError("a bug"),
    "locked": sqlite3.OperationalError("database is locked"),
    "postgres": asyncpg.PostgresConnectionError("connection lost"),
}


async def command_app(stack: AsyncExitStack, tmp: Path) -> FastAPI:
    db = await SqliteDatabase.open(":memory:")
    stack.push_async_callback(db.close)
    return create_command_app(command_settings(auth=AUTH), store=await SqliteEventStore.create(db))


async def query_app(stack: AsyncExitStack, tmp: Path) -> FastAPI:
    db = await SqliteDatabase.open(":memory:")
    stack.push_async_callback(db.close)
    read_model = SqliteReadModel(db)
    await read_model.migrate()
    return create_query_app(QuerySettings(auth=AUTH), read_model=read_model)


async def projector_app(stack: AsyncExitStack, tmp: Path) -> FastAPI:
    return create_projector_app(ProjectorSettings())  # its lifespan (Postgres, Redis) is not entered here


async def embedded_app(stack: AsyncExitStack, tmp: Path) -> FastAPI:
    # No web UI mounted at the root here: it would answer the test route below with its own 404.
    settings = EmbeddedSettings(db_path=str(tmp / "desk.db"), debug=False, auth=AUTH, frontend_dir=None)
    return create_embedded_app(settings)


SERVICES: dict[str, Callable[[AsyncExitStack, Path], object]] = {
    "command": command_app,
    "query": query_app,
    "projector": projector_app,
    "embedded": embedded_app,
}


@pytest.fixture(params=list(SERVICES))
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with AsyncExitStack() as stack:
        app: FastAPI = await SERVICES[request.param](stack, tmp_path)  # type: ignore[misc]

        @app.get("/fail/{kind}")
        async def fail(kind: str) -> None:
            raise FAILURES[kind]

        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        yield await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://svc"))


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("bug", 500, "internal_error"), ("locked", 503, "store_unavailable"), ("postgres", 503, "store_unavailable")],
)
async def test_an_error_no_handler_takes_is_json_in_the_shared_shape(
    client: httpx.AsyncClient, kind: str, status: int, code: str
) -> None:
    answer = await client.get(f"/fail/{kind}", headers={"X-Request-ID": "trace-9"})
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert (body["success"], body["code"], body["request_id"]) == (False, code, "trace-9")
    assert answer.headers["x-request-id"] == "trace-9"
    if status == 503:
        assert answer.headers["retry-after"] == "1"


async def test_health_and_ready_are_the_shells(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = (await client.get("/ready")).json()
    assert set(ready) >= {"success", "status", "checks"}


async def test_the_embedded_ready_is_the_three_installs_checks(tmp_path: Path) -> None:
    app = create_embedded_app(EmbeddedSettings(db_path=str(tmp_path / "desk.db"), debug=False, auth=AUTH))
    bearer = {"Authorization": f"Bearer {mint_token(SECRET, 'alice', ['customer'])}"}
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://e") as http:
        assert (await http.post("/api/support-ticket", headers=bearer)).status_code == 201
        ready = await http.get("/ready")
    body = ready.json()
    assert ready.status_code == 200, body
    assert set(body["checks"]) == {"event_store", "read_model", "projection", "webhooks"}
    assert body["checks"]["event_store"] == {"last_position": 1}
    assert (body["last_position"], body["projected_position"], body["lag"]) == (1, 1, 0)


async def test_a_poison_event_found_at_start_is_on_the_embedded_ready_and_commands_still_work(tmp_path: Path) -> None:
    path = str(tmp_path / "desk.db")
    poisoned = Ticket()
    poisoned.create()
    poisoned.raw("Closeed")  # a ticket in "new" cannot be closed: the projection refuses it
    db = await SqliteDatabase.open(path)
    try:
        store = await SqliteEventStore.create(db)
        await store.append(poisoned.ticket_id, 0, poisoned.events)
    finally:
        await db.close()
    app = create_embedded_app(EmbeddedSettings(db_path=path, debug=False, auth=AUTH, frontend_dir=None))
    bearer = {"Authorization": f"Bearer {mint_token(SECRET, 'alice', ['customer'])}"}
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://e") as http:
        ready = await http.get("/ready")
        assert (await http.get("/health")).status_code == 200
        assert (await http.post("/api/support-ticket", headers=bearer)).status_code == 201
    body = ready.json()
    assert ready.status_code == 503
    assert (body["code"], body["status"], body["poison_event"]["event_type"]) == (
        "projection_halted",
        "halted",
        "Closeed",
    )
    assert body["message"].startswith("projection: projection halted at position 2")
