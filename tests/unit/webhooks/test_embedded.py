"""The one-process mode does not deliver webhooks: its /api/webhooks answers 501 saying where they are."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ticket_embedded.app import create_app
from ticket_embedded.settings import EmbeddedSettings

pytestmark = pytest.mark.unit


async def test_the_embedded_app_says_webhooks_need_the_distributed_mode(tmp_path: Path) -> None:
    frontend = tmp_path / "web"
    frontend.mkdir()
    (frontend / "index.html").write_text("<!doctype html><title>desk</title>")
    app = create_app(EmbeddedSettings(db_path=str(tmp_path / "desk.db"), debug=True, frontend_dir=frontend))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://desk") as client:
        for method, path in [
            ("GET", "/api/webhooks/endpoints"),
            ("POST", "/api/webhooks/endpoints"),
            ("PATCH", "/api/webhooks/endpoints/ep_1"),
            ("DELETE", "/api/webhooks/endpoints/ep_1"),
        ]:
            answer = await client.request(method, path, json={})
            assert answer.status_code == 501, (method, path, answer.text)
            assert answer.json()["code"] == "not_available" and "docs/webhooks.md" in answer.json()["message"]
