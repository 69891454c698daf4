"""``install(app, parts)``: the query routes read the Parts of the app serving the request, so two apps in one process
answer from their own read models, and an app whose read model is opened by its lifespan answers 503 until then."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

import ticket_query
from tests.support.scenarios import Ticket, interleaved
from ticket_eventstore.sqlite import SqliteDatabase
from ticket_projector.projector import Projector
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings, TokenVerifier, mint_token
from ticket_service.shell import create_shell

SECRET = "unit-test-secret-unit-test-secret"
AGENT = {"Authorization": f"Bearer {mint_token(SECRET, 'bob', ['agent'])}"}


def app_on(parts: ticket_query.Parts) -> FastAPI:
    """What the embedded app does: the service kit's shell, then the query API's install."""
    app = create_shell(title="query", version="test")
    ticket_query.install(app, parts)
    return app


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query")


def parts(read_model: SqliteReadModel | None = None) -> ticket_query.Parts:
    return ticket_query.Parts(verifier=TokenVerifier(AuthSettings(secret=SECRET)), read_model=read_model)


async def one_ticket(read_model: SqliteReadModel, subject: str) -> str:
    ticket = Ticket()
    ticket.create(subject=subject)
    await Projector(read_model).apply(interleaved([ticket]))
    return ticket.ticket_id


async def test_two_apps_in_one_process_answer_from_their_own_read_models(
    read_model: SqliteReadModel, tmp_path: Path
) -> None:
    db = await SqliteDatabase.open(str(tmp_path / "other.db"))
    try:
        other = SqliteReadModel(db)
        await other.migrate()
        mine, theirs = await one_ticket(read_model, "Mine"), await one_ticket(other, "Theirs")
        async with client(app_on(parts(read_model))) as first, client(app_on(parts(other))) as second:
            for http, own, foreign, subject in ((first, mine, theirs, "Mine"), (second, theirs, mine, "Theirs")):
                # The plain read takes the shortcut, the one with a position FastAPI's full handling.
                for query in ("", "?min_position=1"):
                    answer = await http.get(f"/api/support-ticket/{own}{query}", headers=AGENT)
                    assert (answer.status_code, answer.json()["subject"]) == (200, subject)
                    assert (await http.get(f"/api/support-ticket/{foreign}{query}", headers=AGENT)).status_code == 404
                    listed = await http.get(f"/api/support-ticket{query}", headers=AGENT)
                    assert [t["subject"] for t in listed.json()["items"]] == [subject]
                events = await http.get(f"/api/support-ticket/{own}/events", headers=AGENT)
                assert [e["type"] for e in events.json()["events"]] == ["Created"]
    finally:
        await db.close()


async def test_reads_are_503_until_the_lifespan_opens_the_read_model(read_model: SqliteReadModel) -> None:
    ticket_id = await one_ticket(read_model, "Opened at startup")

    @asynccontextmanager
    async def opened(query: ticket_query.Parts) -> AsyncIterator[None]:
        query.read_model = read_model
        try:
            yield
        finally:
            query.read_model = None

    query = parts()
    query.opener = opened
    app = app_on(query)
    async with client(app) as http:
        for path in (f"/api/support-ticket/{ticket_id}", f"/api/support-ticket/{ticket_id}/at/1"):
            answer = await http.get(path, headers=AGENT)
            assert (answer.status_code, answer.json()["code"]) == (503, "store_unavailable"), answer.text
            assert answer.json()["request_id"] == answer.headers["x-request-id"]
        assert (await http.get("/ready")).status_code == 503
        async with app.router.lifespan_context(app):
            answer = await http.get(f"/api/support-ticket/{ticket_id}", headers=AGENT)
            assert (answer.status_code, answer.json()["subject"]) == (200, "Opened at startup")
            ready = (await http.get("/ready")).json()
            assert (ready["status"], ready["projected_position"]) == ("ready", await read_model.checkpoint())
        assert (await http.get(f"/api/support-ticket/{ticket_id}", headers=AGENT)).status_code == 503
