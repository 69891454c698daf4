"""The admin API's gate, on every route under /api/admin of the projector and of the embedded app (iterated, so
that a new route cannot be left out): 401 without a token, 403 for every role but admin, 503 without a key; its
bad requests; its OpenAPI document. And the console on the embedded app's SQLite file: status (with its service-level
timer), skip, retry and the in-place rebuild."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from tests.support.scenarios import Ticket
from ticket_embedded.app import create_app as create_embedded_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_privacy import Privacy, key_encryption_key
from ticket_privacy.sqlite import SqliteKeyStore
from ticket_projector.app import create_app as create_projector_app
from ticket_projector.settings import ProjectorSettings
from ticket_readmodel.alerts import Alert
from ticket_readmodel.alerts_sqlite import SqliteAlertLog
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings, mint_token

SECRET = "admin-api-unit-test-secret-0123456789abcdef"
AUTH = AuthSettings(secret=SECRET)


def token(role: str, *more: str, sub: str = "someone") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role, *more])}"}


def _flat(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route, those of included routers too."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _flat(inner.routes) if inner is not None else [route]


def admin_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = [
        (method, re.sub(r"\{name\}", "tickets", route.path))
        for route in _flat(app.routes)
        if isinstance(route, APIRoute) and route.path.startswith("/api/admin")
        for method in sorted(route.methods or ())
    ]
    documented = {p for p in app.openapi()["paths"] if p.startswith("/api/admin")}
    assert {re.sub(r"\{name\}", "tickets", p) for p in documented} == {path for _, path in found}
    assert len(found) >= 4, found  # status, retry, skip, rebuild at least
    return found


def apps(tmp_path: Path) -> dict[str, FastAPI]:
    return {
        "projector": create_projector_app(ProjectorSettings(auth=AUTH)),
        "embedded": create_embedded_app(
            EmbeddedSettings(db_path=str(tmp_path / "desk.db"), debug=False, auth=AUTH, frontend_dir=None)
        ),
    }


@pytest.mark.parametrize("which", ["projector", "embedded"])
async def test_every_admin_route_refuses_anyone_but_an_admin(which: str, tmp_path: Path) -> None:
    app = apps(tmp_path)[which]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as http:
        for method, path in admin_routes(app):
            anonymous = await http.request(method, path, json={"position": 1, "reason": "why not"})
            assert (anonymous.status_code, anonymous.json()["code"]) == (401, "missing_token"), (method, path)
            assert anonymous.headers["WWW-Authenticate"] == "Bearer"
            for headers in (token("customer"), token("agent"), token("supervisor"), token("customer", "supervisor")):
                refused = await http.request(method, path, headers=headers, json={"position": 1, "reason": "why"})
                body = refused.json()
                assert (refused.status_code, body["code"], body["success"]) == (403, "forbidden", False), (path, body)
            forged = await http.request(method, path, headers={"Authorization": "Bearer not.a.token"})
            assert forged.status_code == 401, path


async def test_without_a_key_the_admin_api_is_unavailable_and_the_projector_still_builds() -> None:
    app = create_projector_app(ProjectorSettings())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as http:
        for method, path in admin_routes(app):
            answer = await http.request(method, path, headers=token("admin"))
            assert (answer.status_code, answer.json()["code"]) == (503, "auth_unavailable"), path


async def test_bad_requests_are_refused_before_anything_is_read(tmp_path: Path) -> None:
    app = apps(tmp_path)["projector"]  # not started: only what is checked before the database answers
    admin = token("admin")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a", headers=admin) as http:
        for body in ({}, {"position": 3}, {"position": 3, "reason": "  a "}, {"position": True, "reason": "bool"}):
            bad = await http.post("/api/admin/projections/tickets/skip", json=body)
            assert (bad.status_code, bad.json()["code"]) == (422, "validation_error"), body
        missing = await http.post("/api/admin/projections/tickets/skip", json={"reason": "no position"})
        assert missing.json()["field"] == "position"
        for action in ("retry", "skip", "rebuild"):
            unknown = await http.post(f"/api/admin/projections/nope/{action}", json={"position": 1, "reason": "abc"})
            assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
        not_started = await http.get("/api/admin/system")
        assert (not_started.status_code, not_started.json()["code"]) == (503, "store_unavailable")


async def test_the_openapi_document_describes_the_admin_routes(tmp_path: Path) -> None:
    app = apps(tmp_path)["projector"]
    document = app.openapi()
    paths = {p: ops for p, ops in document["paths"].items() if p.startswith("/api/admin")}
    assert set(paths) == {
        "/api/admin/system",
        "/api/admin/projections/{name}/retry",
        "/api/admin/projections/{name}/skip",
        "/api/admin/projections/{name}/rebuild",
    }
    for ops in paths.values():
        for op in ops.values():
            assert op["security"] and {"401", "403"} <= set(op["responses"])
    skip = paths["/api/admin/projections/{name}/skip"]["post"]
    assert set(skip["requestBody"]["content"]["application/json"]["schema"]["required"]) == {"position", "reason"}
    assert "position_mismatch" in skip["responses"]["409"]["description"]


@contextlib.asynccontextmanager
async def embedded(path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_embedded_app(EmbeddedSettings(db_path=str(path), debug=False, auth=AUTH, frontend_dir=None))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://e", headers=token("admin", sub="dana")) as http,
    ):
        yield http


async def _projection(http: httpx.AsyncClient) -> dict[str, Any]:
    body = (await http.get("/api/admin/system")).json()
    assert body["relay"] is None and body["consumer_group"] is None
    [projection] = body["projections"]
    return dict(projection)


async def test_the_embedded_console_skips_retries_and_rebuilds_in_place(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    poisoned, sound = Ticket(), Ticket()
    poisoned.create()
    poisoned.raw("Closeed")
    sound.create()
    db = await SqliteDatabase.open(str(path))
    try:
        store = await SqliteEventStore.create(db)
        stored = await store.append(poisoned.ticket_id, 0, poisoned.events)
        stored += await store.append(sound.ticket_id, 0, sound.events)
    finally:
        await db.close()
    async with embedded(path) as http:
        halted = await _projection(http)
        assert halted["status"] == "halted" and halted["halt"]["event"]["id"] == stored[1].id
        assert halted["behind_positions"] == 2
        again = await http.post("/api/admin/projections/tickets/retry")  # the cause is still there
        assert again.status_code == 202 and again.json()["projection"]["status"] == "halted"
        skipped = await http.post(
            "/api/admin/projections/tickets/skip", json={"position": stored[1].position, "reason": "bad data"}
        )
        assert skipped.status_code == 200, skipped.text
        after = skipped.json()["projection"]
        assert (after["status"], after["checkpoint"], after["halt"]) == ("running", stored[-1].position, None)
        assert [(s["actor"], s["reason"]) for s in after["skipped"]] == [("dana", "bad data")]

    async with embedded(path) as http:  # restarted: the skip holds, and a rebuild passes over the event
        restarted = await _projection(http)
        started = await http.post("/api/admin/projections/tickets/rebuild")
        assert started.status_code == 202, started.text
        assert started.json()["projection"]["rebuild"]["state"] == "running"
        for _ in range(500):  # a bound, not a speed assertion
            rebuild = (await _projection(http))["rebuild"]
            if rebuild["state"] != "running":
                break
            await asyncio.sleep(0.01)
        rebuilt = await _projection(http)
        customer = token("customer", sub=sound.requester)
        seen = await http.get(f"/api/support-ticket/{sound.ticket_id}", headers=customer)
    assert restarted["status"] == "running" and len(restarted["skipped"]) == 1
    assert rebuilt["rebuild"]["state"] == "finished", rebuilt
    assert (rebuilt["rebuild"]["done"], rebuilt["rebuild"]["actor"]) == (stored[-1].position, "dana")
    assert (rebuilt["status"], rebuilt["checkpoint"], rebuilt["halt"]) == ("running", stored[-1].position, None)
    assert len(rebuilt["skipped"]) == 1
    assert seen.status_code == 200, seen.text


async def test_the_admin_reads_the_halted_events_personal_values_opened(tmp_path: Path) -> None:
    """The failing event as the projection would read it: its note opened with the subject's key, not the
    sealed text an operator could make nothing of."""
    path = tmp_path / "desk.db"
    poisoned = Ticket()
    poisoned.create()
    poisoned.raw("Closeed", note="Printer on fire again")  # not enabled in new: it halts the projection
    db = await SqliteDatabase.open(str(path))
    try:
        store = await SqliteEventStore.create(db)
        privacy = Privacy(key_encryption_key(), await SqliteKeyStore.create(db))
        sealed = await privacy.seal(poisoned.events, poisoned.requester)
        assert sealed[1].data["note"] != "Printer on fire again"  # what the store holds
        await store.append(poisoned.ticket_id, 0, sealed)
    finally:
        await db.close()
    async with embedded(path) as http:
        halted = await _projection(http)
    assert halted["status"] == "halted"
    assert halted["halt"]["event"]["type"] == "Closeed"
    assert halted["halt"]["event"]["data"]["note"] == "Printer on fire again"


async def test_the_embedded_status_shows_its_own_timer_and_the_alerts_it_raised(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    due = datetime(2026, 11, 28, 10, tzinfo=UTC)
    db = await SqliteDatabase.open(str(path))
    try:
        read_model = SqliteReadModel(db)
        await read_model.migrate()
        alert = Alert("t-1", "resolution", "breached", due, None, due, "high", raised_at=due + timedelta(seconds=1))
        [raised] = await SqliteAlertLog(db).record([alert])
    finally:
        await db.close()
    async with embedded(path) as http:
        for _ in range(500):  # a bound, not a speed assertion: the timer's first round
            timer = (await http.get("/api/admin/system")).json()["sla_timer"]
            if timer["last_round_at"] is not None:
                break
            await asyncio.sleep(0.01)
    assert timer["last_round_at"] is not None
    assert (timer["leader"], timer["leading_here"], timer["last_error"]) == (True, True, None)
    assert (timer["stream"], timer["unpublished"], timer["last_published"]) == (None, None, None)  # no stream
    assert timer["last_raised"] == {
        "seq": raised.seq,
        "id": raised.id,
        "type": "ServiceLevelBreached",
        "ticket_id": "t-1",
        "clock": "resolution",
        "due_at": "2026-11-28T10:00:00Z",
        "warning_at": None,
        "raised_at": "2026-11-28T10:00:01Z",
        "priority": "high",
        "published_at": None,
    }
