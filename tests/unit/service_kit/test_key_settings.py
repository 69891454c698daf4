"""Keys that are no keys are refused at startup; claims that no database can store are refused as invalid."""

from __future__ import annotations

from typing import Any

import pytest

from ticket_service.auth import (
    DEVELOPMENT_SECRET,
    AuthError,
    AuthSettings,
    MissingKey,
    TokenVerifier,
    mint_token,
    require_key,
)

SECRET = "s3cret-for-tests-only-0123456789abcdef"
KUBERNETES_PLACEHOLDER = "REPLACE-ME-with-openssl-rand-hex-32"
PROVIDER = {"issuer": "https://id.example", "audience": "help-desk"}


def auth(**values: Any) -> AuthSettings:
    return AuthSettings(_env_file=None, **values)


@pytest.mark.parametrize(
    "secret",
    ["change-me", "changeme", "CHANGEME", "secret", KUBERNETES_PLACEHOLDER, DEVELOPMENT_SECRET, "x" * 31, "é" * 15],
)
def test_placeholder_and_short_secrets_are_refused_outside_debug(secret: str) -> None:
    with pytest.raises(MissingKey, match=r"JWT_SECRET .*openssl rand -hex 32"):
        require_key(auth(secret=secret), debug=False)


def test_a_real_secret_is_accepted_and_debug_tolerates_a_weak_one_with_a_warning() -> None:
    assert require_key(auth(secret="x" * 32), debug=False).secret == "x" * 32
    assert require_key(auth(secret=SECRET), debug=False).secret == SECRET
    with pytest.warns(UserWarning, match="placeholder"):
        assert require_key(auth(secret="change-me"), debug=True).secret == "change-me"


@pytest.mark.parametrize("key", [{"public_key": "PEM"}, {"jwks_url": "https://id.example/jwks.json"}])
@pytest.mark.parametrize("debug", [False, True])
def test_a_public_key_or_jwks_needs_issuer_and_audience(key: dict[str, str], debug: bool) -> None:
    with pytest.raises(MissingKey, match="JWT_ISSUER and JWT_AUDIENCE"):
        require_key(auth(**key), debug=debug)
    with pytest.raises(MissingKey, match="need JWT_AUDIENCE"):
        require_key(auth(**key, issuer="https://id.example"), debug=debug)
    with pytest.raises(MissingKey, match="need JWT_ISSUER"):
        require_key(auth(**key, audience="help-desk"), debug=debug)
    assert require_key(auth(**key, **PROVIDER), debug=debug).issuer == "https://id.example"


@pytest.mark.parametrize(
    ("claims", "claim"),
    [
        ({"sub": "al\x00ice"}, "`sub`"),
        ({"sub": "\ud800"}, "`sub`"),
        ({"sub": "a\udfffb"}, "`sub`"),
        ({"roles": ["customer\x00"]}, "`roles`"),
        ({"roles": [["customer"]]}, "`roles`"),
        ({"roles": [{"name": "customer"}]}, "`roles`"),
        ({"roles": [1]}, "`roles`"),
        ({"roles": "customer"}, "`roles`"),
    ],
)
def test_claims_no_database_can_store_are_an_invalid_token(claims: dict[str, object], claim: str) -> None:
    import jwt

    token = jwt.encode({"sub": "alice", "roles": ["customer"], "exp": 2**31} | claims, SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match=claim) as refused:
        TokenVerifier(auth(secret=SECRET)).verify(token)
    assert refused.value.code == "invalid_token"
    refused.value.message.encode()  # the message itself never carries the offending text


def test_plain_claims_pass() -> None:
    token = mint_token(SECRET, "ålice ☃", ["customer"])
    assert TokenVerifier(auth(secret=SECRET)).verify(token).sub == "ålice ☃"
