"""The one-process mode (``make run``) serves the webhooks admin API on its SQLite file: the same routes, the same
answers, the same refusals as the distributed service."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ticket_embedded.app import create_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_service.auth import AuthSettings, mint_token

pytestmark = pytest.mark.unit
SECRET = "unit-test-secret-unit-test-secret"


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, 'ada', [role])}"}


async def test_the_embedded_app_keeps_webhook_endpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    settings = EmbeddedSettings(
        db_path=str(tmp_path / "desk.db"), debug=False, auth=AuthSettings(secret=SECRET), frontend_dir=None
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://e") as client:
        assert (await client.get("/api/webhooks/endpoints")).status_code == 401
        refused = await client.get("/api/webhooks/endpoints", headers=bearer("agent"))
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        admin = bearer("admin")
        body = {"url": "http://127.0.0.1:9/hook", "event_types": ["Created"], "description": "partner"}
        created = await client.post("/api/webhooks/endpoints", headers=admin, json=body)
        assert created.status_code == 201, created.text
        endpoint, secret = created.json()["endpoint"], created.json()["secret"]
        assert secret.startswith("whsec_") and endpoint["enabled"] and endpoint["created_by"] == "ada"
        listed = await client.get("/api/webhooks/endpoints", headers=admin)
        assert listed.json()["endpoints"] == [endpoint] and secret not in listed.text
        bad = await client.post("/api/webhooks/endpoints", headers=admin, json={**body, "event_types": ["Nope"]})
        assert (bad.status_code, bad.json()["code"]) == (422, "invalid_request")
        log = await client.get(f"/api/webhooks/endpoints/{endpoint['id']}/deliveries", headers=admin)
        assert log.json() == {"success": True, "deliveries": []}
        ready = await client.get("/ready")
        assert ready.status_code == 200 and "webhooks" in ready.text, ready.text
        assert "/api/webhooks/endpoints" in (await client.get("/openapi.json")).json()["paths"]


async def test_private_addresses_are_refused_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBHOOKS_ALLOW_PRIVATE", raising=False)
    settings = EmbeddedSettings(
        db_path=str(tmp_path / "desk.db"), debug=False, auth=AuthSettings(secret=SECRET), frontend_dir=None
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://e") as client:
        body = {"url": "http://127.0.0.1:9/hook", "event_types": ["*"]}
        refused = await client.post("/api/webhooks/endpoints", headers=bearer("admin"), json=body)
        assert (refused.status_code, refused.json()["code"]) == (422, "unsafe_url")
        assert (await client.get("/api/webhooks/endpoints", headers=bearer("admin"))).json()["endpoints"] == []
