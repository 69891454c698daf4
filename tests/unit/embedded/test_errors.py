"""The embedded app shares the services' input hygiene, error shape and 405 answers (its web UI mounted at the root
included)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ticket_embedded.app import create_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_service.auth import AuthSettings, mint_token

SECRET = "unit-test-secret-unit-test-secret"
CUSTOMER = {"Authorization": f"Bearer {mint_token(SECRET, 'alice', ['customer'])}"}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "index.html").write_text("<html></html>")
    settings = EmbeddedSettings(
        db_path=str(tmp_path / "desk.db"), debug=False, auth=AuthSettings(secret=SECRET), frontend_dir=tmp_path / "web"
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://e") as client:
        yield client


async def test_nul_anywhere_is_refused_and_nothing_is_written(client: httpx.AsyncClient) -> None:
    for answer in (
        await client.post("/api/support-ticket", headers=CUSTOMER, json={"subject": "a\u0000b"}),
        await client.get("/api/support-ticket/ab%00cd", headers=CUSTOMER),
        await client.get("/api/support-ticket?q=%00", headers=CUSTOMER),
        await client.get("/index%00.html"),
    ):
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_request")
    assert (await client.get("/api/support-ticket", headers=CUSTOMER)).json()["items"] == []


async def test_405_names_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    tickets = await client.request("TRACE", "/api/support-ticket")
    assert (tickets.status_code, tickets.headers["allow"]) == (405, "GET, POST")
    page = await client.request("TRACE", "/index.html")
    assert (page.status_code, page.headers["allow"]) == (405, "GET, HEAD")
    assert page.json()["code"] == "method_not_allowed"
