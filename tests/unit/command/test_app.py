"""Health, readiness, documents, the debug token endpoint, and refusing to start without a key."""

from __future__ import annotations

import warnings

import httpx
import jwt
import pytest

from tests.support.command_api import client_for, serving, settings
from ticket_command.app import create_app
from ticket_eventstore.sqlite import SqliteEventStore
from ticket_eventstore.stream import FIELDS
from ticket_service.auth import DEVELOPMENT_SECRET, AuthSettings, MissingKey
from ticket_workflow import EVENT_TYPES

NO_KEY = AuthSettings(secret=None, public_key=None, jwks_url=None)


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["checks"]["event_store"] == {"last_position": 0}


async def test_asyncapi_describes_every_event_type_and_field(store: SqliteEventStore) -> None:
    async with client_for(store, event_stream="tickets.custom") as client:
        document = (await client.get("/asyncapi.json")).json()
    assert document["asyncapi"].startswith("3.")
    channel = document["channels"]["ticketEvents"]
    assert channel["address"] == "tickets.custom"
    assert set(channel["messages"]) >= {*EVENT_TYPES, "ServiceLevelPolicySet"}  # and the system streams' events
    escalated = channel["messages"]["Escalateed"]["payload"]
    assert escalated["required"] == list(FIELDS)
    assert escalated["properties"]["type"]["const"] == "Escalateed"
    assert "reason" in escalated["properties"]["data"]["contentSchema"]["properties"]
    assert "correlation_id" in escalated["properties"]["metadata"]["contentSchema"]["properties"]


async def test_the_debug_token_endpoint_is_absent_without_debug(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/debug/token", json={"sub": "alice", "roles": ["customer"]})
    assert response.status_code == 404
    assert "/api/debug/token" not in (await client.get("/openapi.json")).json()["paths"]


async def test_the_debug_token_endpoint_mints_development_tokens(store: SqliteEventStore) -> None:
    with pytest.warns(UserWarning, match="development secret"):
        app = create_app(settings(auth=NO_KEY, debug=True), store=store)
    async with serving(app) as client:
        minted = await client.post("/api/debug/token", json={"sub": "alice", "roles": ["customer"], "ttl_seconds": 60})
        assert minted.status_code == 200
        body = minted.json()
        assert (body["sub"], body["roles"]) == ("alice", ["customer"])
        claims = jwt.decode(body["token"], DEVELOPMENT_SECRET, algorithms=["HS256"])
        assert claims["exp"] - claims["iat"] == 60
        created = await client.post("/api/support-ticket", headers={"Authorization": f"Bearer {body['token']}"})
        assert created.status_code == 201
        unknown = await client.post("/api/debug/token", json={"sub": "x", "roles": ["wizard"]})
        assert (unknown.status_code, unknown.json()["field"]) == (422, "roles")


async def test_debug_never_mints_tokens_signed_with_a_real_key(store: SqliteEventStore) -> None:
    """DEBUG=true beside a real JWT_SECRET must not hand out admin tokens that the deployment accepts."""
    async with client_for(store, debug=True) as client:
        minted = await client.post("/api/debug/token", json={"sub": "eve", "roles": ["admin"]})
        assert (minted.status_code, minted.json()["code"]) == (404, "not_found")
        assert "token" not in minted.json()
        assert "/api/debug/token" not in (await client.get("/openapi.json")).json()["paths"]


def test_without_a_key_the_service_refuses_to_start() -> None:
    with pytest.raises(MissingKey, match="JWT_SECRET"):
        create_app(settings(auth=NO_KEY))


async def test_debug_without_a_key_warns_and_uses_the_development_secret(store: SqliteEventStore) -> None:
    with pytest.warns(UserWarning, match="development secret"):
        app = create_app(settings(auth=NO_KEY, debug=True), store=store)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        token = jwt.encode({"sub": "a", "roles": ["customer"], "exp": 2**31}, DEVELOPMENT_SECRET, algorithm="HS256")
    async with serving(app) as client:
        response = await client.post("/api/support-ticket", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201
