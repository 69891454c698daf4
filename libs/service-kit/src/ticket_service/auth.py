"""Bearer JWT authentication: a verified token becomes an :class:`~ticket_workflow.Actor`.

HS256 with a shared secret by default; RS256/ES256 with a PEM public key or a JWKS URL for real identity
providers. Only the algorithms of the configured key family are accepted, so ``alg: none`` and algorithm
confusion (an RS256 public key used as an HMAC secret) are refused.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticket_workflow import SUPPORT_TICKET, Actor, UnknownRole, effective_roles

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
HMAC_ALGORITHMS = ["HS256"]
PUBLIC_KEY_ALGORITHMS = ["RS256", "ES256"]
JWKS_TIMEOUT = 5.0  # seconds; verification runs in a worker thread, which must not hang on a slow provider
# Clients send the same token with every request; checking its signature each time was a sixth of a read's cost.
VERIFIED_TOKENS = 4096
VERIFIED_SECONDS = 60.0  # at most this long, never past the token's own expiry


class AuthSettings(BaseSettings):
    """JWT settings, from the environment: JWT_SECRET, JWT_PUBLIC_KEY, JWT_JWKS_URL, JWT_ISSUER, JWT_AUDIENCE."""

    model_config = SettingsConfigDict(env_prefix="JWT_", extra="ignore", env_ignore_empty=True)

    secret: str | None = Field(None, description="HS256 shared secret.")
    public_key: str | None = Field(None, description="PEM public key for RS256/ES256 tokens.")
    jwks_url: str | None = Field(None, description="JWKS endpoint of an identity provider (RS256/ES256).")
    issuer: str | None = Field(None, description="Required `iss` claim, when set.")
    audience: str | None = Field(None, description="Required `aud` claim, when set.")
    leeway_seconds: int = Field(30, description="Clock skew tolerated on `exp`.")

    @property
    def configured(self) -> bool:
        return bool(self.secret or self.public_key or self.jwks_url)


class MissingKey(RuntimeError):
    pass


class AuthError(Exception):
    """The request is not authenticated: 401."""

    def __init__(self, message: str, code: str = "invalid_token") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class AuthUnavailable(Exception):
    """The identity provider's keys cannot be fetched: 503, since the token may well be valid."""


def require_key(settings: AuthSettings, *, debug: bool) -> AuthSettings:
    """Refuse to run without a key, except in debug mode, which warns loudly and uses a development secret."""
    if settings.configured:
        return settings
    if not debug:
        raise MissingKey(
            "no JWT key configured: set JWT_SECRET (HS256), JWT_PUBLIC_KEY or JWT_JWKS_URL (RS256/ES256); "
            "only DEBUG=true runs without one"
        )
    warnings.warn(
        "DEBUG mode without JWT_SECRET: tokens are signed with a PUBLIC development secret. "
        "Never expose this instance.",
        stacklevel=2,
    )
    return settings.model_copy(update={"secret": DEVELOPMENT_SECRET})


@dataclass
class TokenVerifier:
    settings: AuthSettings
    cache_size: int = VERIFIED_TOKENS
    cache_seconds: float = VERIFIED_SECONDS
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def __post_init__(self) -> None:
        # Keys are cached; an unknown ``kid`` (a rotated key) triggers one refetch.
        self._jwks = (
            jwt.PyJWKClient(self.settings.jwks_url, cache_keys=True, timeout=JWKS_TIMEOUT)
            if self.settings.jwks_url
            else None
        )
        # Only tokens that passed every check are remembered; a refused one is checked again each time.
        self._verified: dict[str, tuple[Actor, float]] = {}
        self._lock = threading.Lock()  # the command API verifies in worker threads

    def verify(self, token: str) -> Actor:
        now = self.clock()
        with self._lock:
            known = self._verified.pop(token, None)
            if known is not None and now < known[1]:
                self._verified[token] = known  # most recently used last
                return known[0]
        actor, expires = self._verify(token)
        # Valid as long as the signature check would pass: until ``exp`` plus the leeway, capped.
        until = min(expires + self.settings.leeway_seconds, now + self.cache_seconds)
        with self._lock:
            while self._verified and len(self._verified) >= self.cache_size:
                del self._verified[next(iter(self._verified))]  # the least recently used
            self._verified[token] = (actor, until)
        return actor

    def _verify(self, token: str) -> tuple[Actor, float]:
        key, algorithms = self._key_for(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "sub"], "verify_aud": self.settings.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired", code="token_expired") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from None
        return actor_from_claims(claims), float(claims["exp"])

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        if self._jwks is not None:
            try:
                return self._jwks.get_signing_key_from_jwt(token).key, PUBLIC_KEY_ALGORITHMS
            except jwt.PyJWKClientConnectionError as exc:
                raise AuthUnavailable(f"the identity provider's keys cannot be fetched: {exc}") from None
            except jwt.PyJWTError as exc:
                raise AuthError(f"invalid token: {exc}") from None
        if self.settings.public_key:
            return self.settings.public_key, PUBLIC_KEY_ALGORITHMS
        return self.settings.secret, HMAC_ALGORITHMS


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    sub, roles = claims.get("sub"), claims.get("roles", [])
    if not isinstance(sub, str) or not sub:
        raise AuthError("token has no `sub` (user id)")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles) or not roles:
        raise AuthError("token `roles` must be a non-empty list of role names")
    try:
        effective_roles(SUPPORT_TICKET, roles)
    except UnknownRole as exc:
        raise AuthError(str(exc), code="unknown_role") from None
    return Actor(sub=sub, roles=frozenset(roles))


def mint_token(
    secret: str,
    sub: str,
    roles: list[str],
    *,
    ttl_seconds: int = 3600,
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
) -> str:
    """An HS256 token for development and tests."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"sub": sub, "roles": roles, "iat": issued, "exp": issued + ttl_seconds}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue_token(
    settings: AuthSettings, sub: str, roles: list[str], *, ttl_seconds: int = 3600, now: float | None = None
) -> IssuedToken:
    """A development token that a service configured with ``settings`` accepts (``mint-token``, the debug login).

    Refuses what that service would refuse anyway: unknown roles (:class:`UnknownRole`), no roles or a lifetime
    that is already over (``ValueError``), and settings without an HS256 secret (:class:`MissingKey`).
    """
    if not settings.secret:
        raise MissingKey("minting tokens needs JWT_SECRET (HS256); tokens of a public key come from its provider")
    if not roles:
        raise ValueError("at least one role is needed")
    if ttl_seconds < 1:
        raise ValueError(f"ttl must be at least 1 second, got {ttl_seconds}")
    effective_roles(SUPPORT_TICKET, roles)
    issued = int(now if now is not None else time.time())
    token = mint_token(
        settings.secret,
        sub,
        roles,
        ttl_seconds=ttl_seconds,
        issuer=settings.issuer,
        audience=settings.audience,
        now=issued,
    )
    return IssuedToken(token, datetime.fromtimestamp(issued + ttl_seconds, UTC))


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthError("missing Authorization header (expected: Bearer <token>)", code="missing_token")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization header must be: Bearer <token>", code="missing_token")
    return token.strip()
