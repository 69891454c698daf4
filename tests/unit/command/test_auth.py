"""401 for every way a token can be wrong; a valid token of an unknown role is refused too."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.command_api import SECRET, Desk, bearer, client_for
from ticket_eventstore.sqlite import SqliteEventStore
from ticket_service.auth import AuthSettings


def _unsigned(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


PROVIDER_CLAIMS = {"iss": "https://id.example", "aud": "help-desk"}


def _claims(**overrides: object) -> dict[str, object]:
    return {"sub": "bob", "roles": ["agent"], "exp": int(time.time()) + 86_400} | overrides


BAD_TOKENS = {
    "missing": None,
    "not bearer": "Basic Ym9iOnNlY3JldA==",
    "garbage": "Bearer not-a-jwt",
    "wrong secret": "Bearer " + jwt.encode(_claims(), "another-secret-0123456789abcdef0123", algorithm="HS256"),
    "expired": "Bearer " + jwt.encode(_claims(exp=int(time.time()) - 3600), SECRET, algorithm="HS256"),
    "no exp": "Bearer " + jwt.encode({"sub": "bob", "roles": ["agent"]}, SECRET, algorithm="HS256"),
    "no sub": "Bearer " + jwt.encode({"roles": ["agent"], "exp": int(time.time()) + 86_400}, SECRET, algorithm="HS256"),
    "alg none": "Bearer " + _unsigned(_claims()),
    "unknown role": "Bearer " + jwt.encode(_claims(roles=["wizard"]), SECRET, algorithm="HS256"),
    "no roles": "Bearer " + jwt.encode(_claims(roles=[]), SECRET, algorithm="HS256"),
}


CODES = {"missing": "missing_token", "not bearer": "missing_token", "expired": "token_expired"}
CODES |= {"unknown role": "unknown_role"}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_bad_tokens_are_401_and_write_nothing(desk: Desk, store: SqliteEventStore, case: str) -> None:
    ticket = await desk.ticket_in("new")
    before = await store.last_position()
    value = BAD_TOKENS[case]
    headers = {"Authorization": value} if value else {}
    for path, body in [("/api/support-ticket", None), ("/api/assign", {"aggregate_id": ticket})]:
        response = await desk.client.post(path, headers=headers, json=body)
        assert response.status_code == 401, (case, path, response.text)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["success"] is False
        assert response.json()["code"] == CODES.get(case, "invalid_token")
    assert await store.last_position() == before


async def test_expired_tokens_say_so(desk: Desk) -> None:
    response = await desk.client.post("/api/support-ticket", headers={"Authorization": BAD_TOKENS["expired"] or ""})
    assert response.json()["code"] == "token_expired"


async def test_algorithm_confusion_is_refused(store: SqliteEventStore) -> None:
    """With an RSA public key configured, an HS256 token signed with that public key as secret is refused."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    rs256 = jwt.encode(_claims(**PROVIDER_CLAIMS), private, algorithm="RS256")
    auth = AuthSettings(public_key=public_pem.decode(), issuer="https://id.example", audience="help-desk")
    async with client_for(store, auth=auth) as client:
        good = await client.post("/api/support-ticket", headers={"Authorization": f"Bearer {rs256}"})
        assert good.status_code == 201
        forged = _hs256_with_key(public_pem)
        response = await client.post("/api/support-ticket", headers={"Authorization": f"Bearer {forged}"})
        assert response.status_code == 401


def _hs256_with_key(key: bytes) -> str:
    """HS256 signed with the PEM bytes as secret, built by hand (pyjwt refuses to do it)."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    signing_input = (
        f"{part(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}."
        f"{part(json.dumps(_claims(**PROVIDER_CLAIMS)).encode())}"
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


async def test_issuer_and_audience_are_enforced_when_configured(store: SqliteEventStore) -> None:
    auth = AuthSettings(secret=SECRET, issuer="https://id.example", audience="help-desk")
    async with client_for(store, auth=auth) as client:
        plain = await client.post("/api/support-ticket", headers=bearer("alice", "customer"))
        assert plain.status_code == 401
        token = jwt.encode(
            _claims(sub="alice", roles=["customer"], iss="https://id.example", aud="help-desk"),
            SECRET,
            algorithm="HS256",
        )
        ok = await client.post("/api/support-ticket", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 201
