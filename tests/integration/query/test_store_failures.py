"""The query API on PostgreSQL when the database fails: 503 ``store_unavailable`` with ``Retry-After`` while it is
unreachable (every read route, the hot-read shortcuts and ``/ready`` included) and answers again once it is back;
an error that is no store failure is a 500 ``internal_error``. Each answer is JSON in the shared shape, carrying the
request's id."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest

from tests.integration.command.proxy import TcpProxy
from tests.integration.query.conftest import BusyDay
from ticket_query.app import create_app
from ticket_query.settings import QuerySettings
from ticket_service.auth import AuthSettings, mint_token

SECRET = "integration-secret-integration-secret"
AGENT = {"Authorization": f"Bearer {mint_token(SECRET, 'bob', ['agent'])}"}


@pytest.fixture
def ticket_id(busy: BusyDay) -> str:
    return busy.tickets[0].ticket_id


def through(proxy: TcpProxy, url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(netloc=f"{urlsplit(url).username}@127.0.0.1:{proxy.port}"))


def paths(ticket_id: str) -> list[str]:
    """Plain requests take the hot-read shortcut; the others FastAPI's full handling."""
    return [
        f"/api/support-ticket/{ticket_id}",
        f"/api/support-ticket/{ticket_id}?min_position=1",
        "/api/support-ticket",
        "/api/support-ticket?sort=-priority&min_position=1",
        f"/api/support-ticket/{ticket_id}/events",
        f"/api/support-ticket/{ticket_id}/at/1",
        "/api/stats",
        "/api/people",
    ]


async def test_an_unreachable_database_is_503_until_it_is_back(database_url: str, ticket_id: str) -> None:
    target = urlsplit(database_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    settings = QuerySettings(auth=AuthSettings(secret=SECRET), database_url=through(proxy, database_url))
    app = create_app(settings)  # the service's own lifespan opens the read model, listener and store
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http,
        ):
            for path in paths(ticket_id):
                assert (await http.get(path, headers=AGENT)).status_code == 200, path
            await proxy.stop()  # open connections cut, new ones refused
            for path in paths(ticket_id):
                answer = await http.get(path, headers=AGENT | {"X-Request-ID": "req-down-1"})
                assert answer.status_code == 503, (path, answer.text)
                assert answer.headers["content-type"] == "application/json" and answer.headers["retry-after"] == "1"
                assert answer.json()["code"] == "store_unavailable", path
                assert answer.json()["request_id"] == answer.headers["x-request-id"] == "req-down-1"
            ready = await http.get("/ready")
            assert (ready.status_code, ready.json()["status"]) == (503, "unavailable")
            await proxy.start()
            for path in paths(ticket_id):
                assert (await http.get(path, headers=AGENT)).status_code == 200, path
            assert (await http.get("/ready")).json()["status"] == "ready"
    finally:
        await proxy.stop()


async def test_an_error_that_is_no_store_failure_is_500_with_the_request_id(database_url: str, ticket_id: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:  # every read of the tickets now fails in the database, with an error no retry cures
        await conn.execute(
            "ALTER TABLE read_model.tickets RENAME TO tickets_kept; "
            "CREATE VIEW read_model.tickets AS SELECT * FROM read_model.tickets_kept "
            "WHERE 1 / (SELECT count(*) FROM read_model.tickets_kept WHERE false) = 1"
        )
    finally:
        await conn.close()
    app = create_app(QuerySettings(auth=AuthSettings(secret=SECRET), database_url=database_url))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://q") as http:
        for path in (f"/api/support-ticket/{ticket_id}", f"/api/support-ticket/{ticket_id}?min_position=1"):
            answer = await http.get(path, headers=AGENT)
            assert answer.status_code == 500, answer.text
            assert answer.headers["content-type"] == "application/json"
            body = answer.json()
            assert (body["success"], body["code"]) == (False, "internal_error")
            assert body["request_id"] == answer.headers["x-request-id"]
            assert "division" not in answer.text  # the database's message stays in the service log
        assert (await http.get("/api/people", headers=AGENT)).status_code == 200  # what reads no ticket answers
