"""Token verification refuses everything but a well-signed, unexpired token with known roles."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ticket_service.auth import (
    DEVELOPMENT_SECRET,
    AuthError,
    AuthSettings,
    MissingKey,
    TokenVerifier,
    bearer_token,
    issue_token,
    mint_token,
    require_key,
)
from ticket_workflow import Actor, UnknownRole

SECRET = "s3cret-for-tests-only-0123456789abcdef"


def verifier(**settings: object) -> TokenVerifier:
    return TokenVerifier(AuthSettings(_env_file=None, **settings))  # type: ignore[call-arg]


def test_a_minted_token_becomes_an_actor() -> None:
    token = mint_token(SECRET, "alice", ["customer"])
    assert verifier(secret=SECRET).verify(token) == Actor("alice", frozenset({"customer"}))


def test_expired_tokens_are_refused() -> None:
    token = mint_token(SECRET, "alice", ["customer"], ttl_seconds=60, now=time.time() - 3600)
    with pytest.raises(AuthError) as refused:
        verifier(secret=SECRET).verify(token)
    assert refused.value.code == "token_expired"


def test_bad_signatures_are_refused() -> None:
    token = mint_token("another-secret-of-sufficient-length!!", "alice", ["customer"])
    with pytest.raises(AuthError, match="invalid token"):
        verifier(secret=SECRET).verify(token)


def test_alg_none_is_refused() -> None:
    def b64(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    unsigned = b64({"alg": "none", "typ": "JWT"}) + "." + b64({"sub": "eve", "roles": ["admin"], "exp": 9e9}) + "."
    with pytest.raises(AuthError):
        verifier(secret=SECRET).verify(unsigned)


def test_algorithm_confusion_is_refused() -> None:
    """An HS256 token signed with the RSA public key as secret must not pass an RS256 verifier."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps({"sub": "eve", "roles": ["admin"], "exp": 9e9}).encode()).rstrip(b"=")
    import hashlib
    import hmac

    signature = hmac.new(public_pem, header + b"." + body, hashlib.sha256).digest()
    forged = (header + b"." + body + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()
    with pytest.raises(AuthError):
        verifier(public_key=public_pem.decode()).verify(forged)


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
def test_public_key_tokens_are_accepted(algorithm: str) -> None:
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if algorithm == "RS256"
        else (ec.generate_private_key(ec.SECP256R1()))
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    token = jwt.encode({"sub": "bob", "roles": ["agent"], "exp": int(time.time()) + 60}, key, algorithm=algorithm)
    assert verifier(public_key=public_pem.decode()).verify(token).sub == "bob"


def test_issuer_and_audience_are_enforced_when_configured() -> None:
    v = verifier(secret=SECRET, issuer="https://idp.example", audience="support-ticket")
    good = mint_token(SECRET, "bob", ["agent"], issuer="https://idp.example", audience="support-ticket")
    assert v.verify(good).sub == "bob"
    for wrong in (
        mint_token(SECRET, "bob", ["agent"], issuer="https://evil.example", audience="support-ticket"),
        mint_token(SECRET, "bob", ["agent"], issuer="https://idp.example", audience="other"),
        mint_token(SECRET, "bob", ["agent"]),
    ):
        with pytest.raises(AuthError):
            v.verify(wrong)


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"sub": "bob", "roles": ["root"]}, "unknown_role"),
        ({"sub": "bob", "roles": []}, "invalid_token"),
        ({"sub": "bob", "roles": "agent"}, "invalid_token"),
        ({"roles": ["agent"]}, "invalid_token"),
    ],
)
def test_claims_must_name_a_user_and_known_roles(claims: dict[str, object], code: str) -> None:
    token = jwt.encode({**claims, "exp": int(time.time()) + 60}, SECRET, algorithm="HS256")
    with pytest.raises(AuthError) as refused:
        verifier(secret=SECRET).verify(token)
    assert refused.value.code == code


def test_exp_is_required() -> None:
    token = jwt.encode({"sub": "bob", "roles": ["agent"]}, SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match="exp"):
        verifier(secret=SECRET).verify(token)


def test_the_service_refuses_to_start_without_a_key_unless_debug() -> None:
    with pytest.raises(MissingKey, match="JWT_SECRET"):
        require_key(AuthSettings(_env_file=None), debug=False)  # type: ignore[call-arg]
    with pytest.warns(UserWarning, match="development secret"):
        settings = require_key(AuthSettings(_env_file=None), debug=True)  # type: ignore[call-arg]
    assert settings.secret == DEVELOPMENT_SECRET


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer ", "token"])
def test_the_authorization_header_must_be_bearer(header: str | None) -> None:
    with pytest.raises(AuthError) as refused:
        bearer_token(header)
    assert refused.value.code == "missing_token"
    assert bearer_token("Bearer abc.def.ghi") == "abc.def.ghi"


def test_an_issued_token_passes_the_verifier_of_the_same_settings() -> None:
    settings = AuthSettings(_env_file=None, secret=SECRET, issuer="https://idp.example", audience="desk")
    issued = issue_token(settings, "sue", ["supervisor"], ttl_seconds=120, now=1_700_000_000)
    claims = jwt.decode(issued.token, SECRET, algorithms=["HS256"], audience="desk", options={"verify_exp": False})
    assert (claims["iss"], claims["exp"] - claims["iat"]) == ("https://idp.example", 120)
    assert issued.expires_at.timestamp() == 1_700_000_120
    assert TokenVerifier(settings).verify(issue_token(settings, "sue", ["supervisor"]).token).sub == "sue"


def test_tokens_are_issued_only_for_known_roles_a_positive_lifetime_and_a_secret() -> None:
    settings = AuthSettings(_env_file=None, secret=SECRET)
    with pytest.raises(UnknownRole):
        issue_token(settings, "x", ["wizard"])
    with pytest.raises(ValueError, match="ttl"):
        issue_token(settings, "x", ["agent"], ttl_seconds=0)
    with pytest.raises(ValueError, match="role"):
        issue_token(settings, "x", [])
    with pytest.raises(MissingKey, match="JWT_SECRET"):
        issue_token(AuthSettings(_env_file=None, public_key="pem"), "x", ["agent"])


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compose and Kubernetes pass optional settings as empty strings; they must not demand an empty `iss`."""
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("JWT_ISSUER", "")
    monkeypatch.setenv("JWT_AUDIENCE", "")
    monkeypatch.setenv("JWT_JWKS_URL", "")
    settings = AuthSettings()
    assert (settings.issuer, settings.audience, settings.jwks_url) == (None, None, None)
    assert TokenVerifier(settings).verify(mint_token(SECRET, "bob", ["agent"])).sub == "bob"
