"""RS256 tokens verified against a JWKS URL: the identity provider is a loopback HTTP server serving keys
generated here."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.unit.command.support import SECRET, client_for
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_service.auth import AuthError, AuthSettings, AuthUnavailable, TokenVerifier

from .proxy import free_port

KID = "signing-key-1"


class IdentityProvider:
    """Serves ``{"keys": [...]}`` at ``/.well-known/jwks.json`` and counts the fetches."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keys: list[dict[str, Any]] = [self.jwk(self.private_key, KID)]
        self.fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches += 1
                body = json.dumps({"keys": provider.keys}).encode()
                self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def jwk(private_key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
        return public | {"kid": kid, "use": "sig", "alg": "RS256"}

    def token(self, sub: str = "bob", roles: tuple[str, ...] = ("agent",), **header: Any) -> str:
        claims = {"sub": sub, "roles": list(roles), "exp": int(time.time()) + 600}
        key = header.pop("key", self.private_key)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID, **header})


@pytest.fixture
def provider() -> Iterator[IdentityProvider]:
    idp = IdentityProvider()
    idp.thread.start()
    yield idp
    idp.server.shutdown()
    idp.server.server_close()


def verifier(url: str) -> TokenVerifier:
    return TokenVerifier(AuthSettings(jwks_url=url))


def test_a_token_signed_with_a_published_key_is_accepted(provider: IdentityProvider) -> None:
    checker = verifier(provider.url)
    actor = checker.verify(provider.token("sue", ("supervisor",)))
    assert (actor.sub, actor.roles) == ("sue", frozenset({"supervisor"}))
    checker.verify(provider.token())
    assert provider.fetches == 1  # keys are cached, not fetched per request


def test_tokens_the_published_keys_do_not_sign_are_refused(provider: IdentityProvider) -> None:
    checker = verifier(provider.url)
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = json.dumps(provider.keys[0]).encode()
    refused = {
        "another key, same kid": provider.token(key=impostor),
        "unknown kid": provider.token(kid="not-published"),
        "HS256 with the shared secret": jwt.encode(
            {"sub": "eve", "roles": ["admin"], "exp": int(time.time()) + 600},
            SECRET,
            algorithm="HS256",
            headers={"kid": KID},
        ),
        "HS256 keyed with the public JWK": _hs256(public_jwk),
        "expired": jwt.encode(
            {"sub": "bob", "roles": ["agent"], "exp": int(time.time()) - 3600},
            provider.private_key,
            algorithm="RS256",
            headers={"kid": KID},
        ),
    }
    for case, token in refused.items():
        with pytest.raises(AuthError):
            checker.verify(token)
            pytest.fail(case)


def _hs256(key: bytes) -> str:
    import base64
    import hashlib
    import hmac

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
    claims = part(json.dumps({"sub": "eve", "roles": ["admin"], "exp": int(time.time()) + 600}).encode())
    signature = hmac.new(key, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    return f"{header}.{claims}.{part(signature)}"


@pytest.fixture
async def store() -> AsyncIterator[SqliteEventStore]:
    db = await SqliteDatabase.open(":memory:")
    yield await SqliteEventStore.create(db)
    await db.close()


async def test_the_command_api_accepts_identity_provider_tokens(
    provider: IdentityProvider, store: SqliteEventStore
) -> None:
    async with client_for(store, auth=AuthSettings(jwks_url=provider.url)) as client:
        created = await client.post(
            "/api/support-ticket", headers={"Authorization": f"Bearer {provider.token('alice', ('customer',))}"}
        )
        assert created.status_code == 201, created.text
        hs256 = jwt.encode({"sub": "alice", "roles": ["customer"], "exp": int(time.time()) + 60}, SECRET, "HS256")
        refused = await client.post("/api/support-ticket", headers={"Authorization": f"Bearer {hs256}"})
        assert (refused.status_code, refused.json()["code"]) == (401, "invalid_token")
    assert await store.last_position() == 1


async def test_an_unreachable_identity_provider_is_503_not_401(store: SqliteEventStore) -> None:
    """A valid token must not be called invalid because the keys could not be fetched."""
    nowhere = f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"
    with pytest.raises(AuthUnavailable):
        verifier(nowhere).verify(_hs256(b"x"))
    async with client_for(store, auth=AuthSettings(jwks_url=nowhere)) as client:
        token = jwt.encode({"sub": "a", "roles": ["customer"], "exp": int(time.time()) + 60}, "k" * 32, "HS256")
        response = await client.post(
            "/api/support-ticket", headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        )
        assert (response.status_code, response.json()["code"]) == (503, "auth_unavailable")
        assert "WWW-Authenticate" not in response.headers
    assert await store.last_position() == 0
