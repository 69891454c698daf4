"""Bearer JWT authentication: a verified token becomes an :class:`~ticket_workflow.Actor`.

HS256 with a shared secret by default; RS256/ES256 with a PEM public key or a JWKS URL for real identity
providers. Only the algorithms of the configured key family are accepted, so ``alg: none`` and algorithm
confusion (an RS256 public key used as an HMAC secret) are refused.
"""

from __future__ import annotations

import asyncio
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

from .jwks import JwksCache, KeysNeeded, KeysUnavailable, UnknownKey

DEVELOPMENT_SECRET = "development-only-secret-do-not-use-in-production"
HMAC_ALGORITHMS = ["HS256"]
PUBLIC_KEY_ALGORITHMS = ["RS256", "ES256"]
# An HS256 key shorter than its 256-bit hash can be guessed offline from any token it signed.
MIN_SECRET_BYTES = 32
# Values that ship in examples and manifests: whoever reads this repository knows them.
PLACEHOLDER_SECRETS = frozenset(
    {"change-me", "changeme", "secret", "replace-me-with-openssl-rand-hex-32", DEVELOPMENT_SECRET}
)
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
    """No usable key configuration: the service refuses to start (the CLIs exit with status 2)."""


class AuthError(Exception):
    """The request is not authenticated: 401."""

    def __init__(self, message: str, code: str = "invalid_token") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class AuthUnavailable(Exception):
    """The identity provider's keys cannot be fetched: 503, since the token may well be valid."""


def require_key(settings: AuthSettings, *, debug: bool) -> AuthSettings:
    """Refuse to run without a usable key, except in debug mode, which warns loudly and uses a development secret.

    A placeholder or short ``JWT_SECRET`` is refused outside debug mode; a public key or JWKS URL needs an issuer
    and an audience, since a provider signs tokens for many applications with the same keys.
    """
    if settings.public_key or settings.jwks_url:
        missing = [
            name for name, value in (("JWT_ISSUER", settings.issuer), ("JWT_AUDIENCE", settings.audience)) if not value
        ]
        if missing:
            raise MissingKey(
                f"JWT_PUBLIC_KEY / JWT_JWKS_URL need {' and '.join(missing)}: an identity provider signs tokens "
                "for many applications with the same keys, so only its issuer and this service's audience tell "
                "them apart"
            )
    if settings.secret:
        weakness = secret_weakness(settings.secret)
        if weakness and not debug:
            raise MissingKey(f"JWT_SECRET {weakness}: generate one with `openssl rand -hex 32`")
        if weakness and settings.secret != DEVELOPMENT_SECRET:
            warnings.warn(f"DEBUG mode: JWT_SECRET {weakness}. Never expose this instance.", stacklevel=2)
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


def secret_weakness(secret: str) -> str | None:
    """Why ``secret`` is no real HS256 key, or None when it may be one."""
    if secret.strip().lower() in PLACEHOLDER_SECRETS:
        return "is a published placeholder, not a key"
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes"
    return None


@dataclass(frozen=True)
class Verified:
    """A verified token: who it speaks for, and the time (epoch seconds) it stops being valid, leeway included."""

    actor: Actor
    valid_until: float


@dataclass
class TokenVerifier:
    settings: AuthSettings
    cache_size: int = VERIFIED_TOKENS
    cache_seconds: float = VERIFIED_SECONDS
    clock: Callable[[], float] = field(default=time.time, repr=False)

    def __post_init__(self) -> None:
        self._jwks = JwksCache(self.settings.jwks_url) if self.settings.jwks_url else None
        # Only tokens that passed every check are remembered; a refused one is checked again each time.
        self._verified: dict[str, tuple[Verified, float]] = {}
        self._lock = threading.Lock()  # tokens needing a key fetch are verified in worker threads

    def verify(self, token: str) -> Actor:
        return self.check(token).actor

    async def verify_async(self, token: str) -> Actor:
        return (await self.check_async(token)).actor

    async def check_async(self, token: str) -> Verified:
        """:meth:`check` without blocking the event loop: only a token whose key must first be fetched from the
        identity provider is verified in a worker thread."""
        try:
            return self.check(token, may_fetch=False)
        except KeysNeeded:
            return await asyncio.to_thread(self.check, token)

    def check(self, token: str, *, may_fetch: bool = True) -> Verified:
        now = self.clock()
        with self._lock:
            known = self._verified.pop(token, None)
            if known is not None and now < known[1]:
                self._verified[token] = known  # most recently used last
                return known[0]
        verified = self._verify(token, may_fetch)
        # Valid as long as the signature check would pass: until ``exp`` plus the leeway, capped.
        until = min(verified.valid_until, now + self.cache_seconds)
        with self._lock:
            while self._verified and len(self._verified) >= self.cache_size:
                del self._verified[next(iter(self._verified))]  # the least recently used
            self._verified[token] = (verified, until)
        return verified

    def _verify(self, token: str, may_fetch: bool) -> Verified:
        key, algorithms = self._key_for(token, may_fetch)
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
        return Verified(actor_from_claims(claims), float(claims["exp"]) + self.settings.leeway_seconds)

    def _key_for(self, token: str, may_fetch: bool) -> tuple[Any, list[str]]:
        if self._jwks is not None:
            try:
                return self._jwks.key_for(token, may_fetch=may_fetch), PUBLIC_KEY_ALGORITHMS
            except KeysUnavailable as exc:
                raise AuthUnavailable(f"the identity provider's keys cannot be fetched: {exc}") from None
            except UnknownKey as exc:
                raise AuthError(f"invalid token: {exc}") from None
        if self.settings.public_key:
            return self.settings.public_key, PUBLIC_KEY_ALGORITHMS
        return self.settings.secret, HMAC_ALGORITHMS


def actor_from_claims(claims: dict[str, Any]) -> Actor:
    sub, roles = claims.get("sub"), claims.get("roles", [])
    if not isinstance(sub, str) or not sub:
        raise AuthError("token has no `sub` (user id)")
    if not plain_text(sub):
        raise AuthError("token claim `sub` contains NUL or a lone surrogate")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles) or not roles:
        raise AuthError("token `roles` must be a non-empty list of role names")
    if not all(plain_text(role) for role in roles):
        raise AuthError("token claim `roles` contains NUL or a lone surrogate")
    try:
        effective_roles(SUPPORT_TICKET, roles)
    except UnknownRole as exc:
        raise AuthError(str(exc), code="unknown_role") from None
    return Actor(sub=sub, roles=frozenset(roles))


def plain_text(value: str) -> bool:
    """Text PostgreSQL can store and UTF-8 can encode: no NUL, no lone surrogate (JSON's ``\\ud800`` decodes to
    one)."""
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


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
    if not sub or not plain_text(sub):
        raise ValueError("sub: must be non-empty text without NUL or lone surrogates")
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
