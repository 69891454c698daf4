"""Bad input to the webhooks admin API is a 422 in the project's error shape, answered before anything is read or
written (the app is not even started here), and every route is in the OpenAPI document with its error codes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ticket_service.auth import AuthSettings, mint_token
from ticket_webhooks import create_app
from ticket_webhooks.settings import WebhooksSettings

pytestmark = pytest.mark.unit

SECRET = "webhooks-unit-test-secret-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {mint_token(SECRET, 'ada', ['admin'])}"}
SETTINGS = WebhooksSettings(auth=AuthSettings(secret=SECRET), webhooks_secret_key="a" * 43 + "=")


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "field"),
    [
        ("POST", "/endpoints", {"url": "https://93.184.216.34/", "event_types": ["Nope"]}, "invalid_request", None),
        ("POST", "/endpoints", {"url": "https://93.184.216.34/", "event_types": []}, "invalid_request", None),
        (
            "POST",
            "/endpoints",
            {"url": "https://93.184.216.34/", "event_types": ["*"], "x": 1},
            "invalid_request",
            None,
        ),
        ("POST", "/endpoints", {"url": "https://h/" + "a" * 2000, "event_types": ["*"]}, "invalid_request", None),
        ("POST", "/endpoints", {"url": "http://10.0.0.7/hook", "event_types": ["*"]}, "unsafe_url", "url"),
        ("POST", "/endpoints", {"url": "javascript:alert(1)", "event_types": ["*"]}, "unsafe_url", "url"),
        ("PATCH", "/endpoints/ep_1", {"enabled": None}, "invalid_request", "enabled"),
        ("PATCH", "/endpoints/ep_1", {"enabled": "yes please"}, "invalid_request", None),
        ("POST", "/endpoints/ep_1/redeliver", {"from_position": 0}, "invalid_request", None),
        ("POST", "/endpoints/ep_1/redeliver", {"from_position": "1"}, "invalid_request", None),
    ],
)
async def test_bad_input_is_a_422_in_the_error_shape(
    method: str, path: str, body: dict[str, Any], code: str, field: str | None
) -> None:
    app = create_app(SETTINGS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w") as client:
        answer = await client.request(method, f"/api/webhooks{path}", json=body, headers=ADMIN)
    assert answer.status_code == 422, answer.text
    assert answer.json()["success"] is False and answer.json()["code"] == code
    if field is not None:
        assert answer.json()["field"] == field


async def test_every_route_is_documented_with_its_errors() -> None:
    app = create_app(SETTINGS)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://w") as client:
        document = (await client.get("/openapi.json")).json()
    operations = {
        (method, path): operation
        for path, item in document["paths"].items()
        if path.startswith("/api/webhooks")
        for method, operation in item.items()
    }
    assert len(operations) == 7
    for (method, path), operation in operations.items():
        assert {"401", "403", "422"} <= set(operation["responses"]), (method, path)
        assert operation.get("security"), (method, path)
