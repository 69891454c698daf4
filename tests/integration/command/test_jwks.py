"""RS256 tokens verified against a JWKS URL: the identity provider is a loopback HTTP server serving keys
generated here."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.command_api import SECRET, client_for, serving
from tests.support.command_api import settings as command_settings
from ticket_command.app import create_app as create_command_app
from ticket_embedded.app import create_app as create_embedded_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_query.app import create_app as create_query_app
from ticket_query.settings import QuerySettings
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthError, AuthSettings, AuthUnavailable, TokenVerifier
from ticket_service.jwks import JwksCache, KeysUnavailable, UnknownKey

from .proxy import free_port

KID = "signing-key-1"
ISSUER, AUDIENCE = "https://id.example", "help-desk"
PROVIDER_CLAIMS = {"iss": ISSUER, "aud": AUDIENCE}


class IdentityProvider:
    """Serves ``{"keys": [...]}`` at ``/.well-known/jwks.json`` and counts the fetches."""

    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.keys: list[dict[str, Any]] = [self.jwk(self.private_key, KID)]
        self.fetches = 0
        # When set, every fetch is held until ``gate`` opens (or 10 s pass); ``asked`` says a fetch is being held.
        self.gate: threading.Event | None = None
        self.asked = threading.Event()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.fetches += 1
                if provider.gate is not None:
                    provider.asked.set()
                    provider.gate.wait(10)
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
        claims = {"sub": sub, "roles": list(roles), "exp": int(time.time()) + 600} | PROVIDER_CLAIMS
        key = header.pop("key", self.private_key)
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID, **header})


@pytest.fixture
def provider() -> Iterator[IdentityProvider]:
    idp = IdentityProvider()
    idp.thread.start()
    yield idp
    idp.server.shutdown()
    idp.server.server_close()


def provider_auth(url: str) -> AuthSettings:
    return AuthSettings(jwks_url=url, issuer=ISSUER, audience=AUDIENCE)


def verifier(url: str) -> TokenVerifier:
    return TokenVerifier(provider_auth(url))


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
            {"sub": "eve", "roles": ["admin"], "exp": int(time.time()) + 600} | PROVIDER_CLAIMS,
            SECRET,
            algorithm="HS256",
            headers={"kid": KID},
        ),
        "HS256 keyed with the public JWK": _hs256(public_jwk),
        "expired": jwt.encode(
            {"sub": "bob", "roles": ["agent"], "exp": int(time.time()) - 3600} | PROVIDER_CLAIMS,
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
    claims = part(
        json.dumps({"sub": "eve", "roles": ["admin"], "exp": int(time.time()) + 600} | PROVIDER_CLAIMS).encode()
    )
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
    async with client_for(store, auth=provider_auth(provider.url)) as client:
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
    async with client_for(store, auth=provider_auth(nowhere)) as client:
        token = jwt.encode({"sub": "a", "roles": ["customer"], "exp": int(time.time()) + 60}, "k" * 32, "HS256")
        response = await client.post(
            "/api/support-ticket", headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        )
        assert (response.status_code, response.json()["code"]) == (503, "auth_unavailable")
        assert "WWW-Authenticate" not in response.headers
    assert await store.last_position() == 0


def test_unknown_kids_cost_at_most_one_fetch_per_refresh_floor(provider: IdentityProvider) -> None:
    """A flood of made-up ``kid`` values is refused from memory, not by asking the provider each time."""
    checker = verifier(provider.url)
    checker.verify(provider.token())
    for n in range(50):
        with pytest.raises(AuthError, match="kid"):
            checker.verify(provider.token(kid=f"made-up-{n}"))
    assert provider.fetches == 1  # the first fetch is less than the floor ago: not one refetch


def test_a_rotated_key_is_fetched_once_the_floor_has_passed(provider: IdentityProvider) -> None:
    now = [0.0]
    keys = JwksCache(provider.url, refresh_floor=30, clock=lambda: now[0])
    keys.key_for(provider.token())
    rotated = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    provider.keys.append(provider.jwk(rotated, "signing-key-2"))
    token = provider.token(kid="signing-key-2", key=rotated)
    now[0] = 29.0
    with pytest.raises(UnknownKey):
        keys.key_for(token)  # remembered as unknown until the floor has passed
    with pytest.raises(UnknownKey):
        keys.key_for(provider.token(kid="another"))
    assert provider.fetches == 1
    now[0] = 30.0
    assert keys.key_for(token) is not None
    with pytest.raises(UnknownKey):
        keys.key_for(provider.token(kid="another"))
    assert provider.fetches == 2


def test_a_provider_that_is_down_is_not_asked_on_every_request() -> None:
    now = [0.0]
    keys = JwksCache(f"http://127.0.0.1:{free_port()}/jwks.json", retry_seconds=5, clock=lambda: now[0])
    for _ in range(10):
        with pytest.raises(KeysUnavailable):
            keys.key_for(_hs256(b"x"))
    assert keys.fetches == 1
    now[0] = 5.0
    with pytest.raises(KeysUnavailable):
        keys.key_for(_hs256(b"x"))
    assert keys.fetches == 2


async def test_a_key_fetch_never_blocks_the_event_loop(provider: IdentityProvider) -> None:
    """The fetch runs in a worker thread; a known key verifies in place, without one.

    The provider holds the fetch until the test opens the gate. Were the fetch made on the event loop, the loop
    would stay stuck in it until the provider gave up holding (10 s), and the verification would be over by the time
    this test runs again; off the loop, the test runs on while the fetch is still held."""
    provider.gate = threading.Event()
    checker = verifier(provider.url)
    verifying = asyncio.create_task(checker.verify_async(provider.token("sue")))
    assert await asyncio.to_thread(provider.asked.wait, 10)
    assert not verifying.done(), "the event loop waited for the key fetch"
    provider.gate.set()
    assert (await verifying).sub == "sue"
    with mock.patch("asyncio.to_thread", side_effect=AssertionError("no thread for a known key")):
        assert (await checker.verify_async(provider.token("tom"))).sub == "tom"


@pytest.mark.parametrize("service", ["command", "query", "embedded"])
async def test_a_held_key_fetch_stalls_no_other_request_of_either_api_or_the_embedded_app(
    provider: IdentityProvider, store: SqliteEventStore, tmp_path: Path, service: str
) -> None:
    """All go through the service kit's one auth dependency: while a request waits for the provider's keys,
    another request (``/health``) is answered, which a loop blocked by the fetch could not do. A made-up ``kid``
    afterwards is refused from memory, without a second fetch."""
    provider.gate = threading.Event()
    auth = provider_auth(provider.url)
    async with AsyncExitStack() as stack:
        if service == "command":
            app = create_command_app(command_settings(auth=auth), store=store)
        elif service == "query":
            db = await SqliteDatabase.open(str(tmp_path / "read.db"))
            stack.push_async_callback(db.close)
            read_model = SqliteReadModel(db)
            await read_model.migrate()
            app = create_query_app(QuerySettings(auth=auth), read_model=read_model)
        else:
            app = create_embedded_app(EmbeddedSettings(db_path=str(tmp_path / "desk.db"), debug=False, auth=auth))
        client = await stack.enter_async_context(serving(app))
        method, expected = ("GET", 200) if service == "query" else ("POST", 201)
        bearer = {"Authorization": f"Bearer {provider.token('alice', ('customer',))}"}
        slow = asyncio.create_task(client.request(method, "/api/support-ticket", headers=bearer))
        assert await asyncio.to_thread(provider.asked.wait, 10)  # the request now waits for the held keys
        assert (await client.get("/health")).status_code == 200
        assert not slow.done(), "the event loop waited for the key fetch"
        provider.gate.set()
        assert (await slow).status_code == expected
        forged = {"Authorization": f"Bearer {provider.token(kid='made-up')}"}
        assert (await client.request(method, "/api/support-ticket", headers=forged)).status_code == 401
    assert provider.fetches == 1


def test_unknown_kids_are_refused_from_memory_for_a_minute_by_default(provider: IdentityProvider) -> None:
    now = [0.0]
    keys = JwksCache(provider.url, clock=lambda: now[0])
    keys.key_for(provider.token())
    for second in (1.0, 30.0, 59.0):
        now[0] = second
        with pytest.raises(UnknownKey):
            keys.key_for(provider.token(kid=f"made-up-{second}"))
    assert provider.fetches == 1
    now[0] = 60.0
    with pytest.raises(UnknownKey):
        keys.key_for(provider.token(kid="made-up-at-a-minute"))
    assert provider.fetches == 2
