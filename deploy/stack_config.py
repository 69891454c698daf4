"""``make stack``'s settings, read from the environment (the list is in ``stack.py``), and its one error."""

from __future__ import annotations

import base64
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/support_ticket"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class StackError(RuntimeError):
    """Something the developer must fix before the stack can start; the message says what."""


@dataclass(frozen=True)
class StackConfig:
    host: str
    gateway_port: int
    command_port: int
    query_port: int
    projector_port: int
    webhooks_port: int
    database_url: str
    redis_url: str
    debug: bool
    env: dict[str, str] = field(repr=False)

    @classmethod
    def from_environment(cls, environ: dict[str, str]) -> StackConfig:
        debug = environ.get("DEBUG", "false").strip().lower() in {"1", "true", "yes", "on"}
        has_key = any(environ.get(name) for name in ("JWT_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS_URL"))
        if not has_key and not debug:
            raise StackError(
                "JWT_SECRET is not set. Set it (e.g. JWT_SECRET=$(openssl rand -hex 32) make stack), or run with "
                "DEBUG=true to use the public development secret and the debug token endpoint."
            )
        env = dict(environ)
        env.update(
            DATABASE_URL=environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            REDIS_URL=environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
            DEBUG="true" if debug else "false",
            LOG_FORMAT=environ.get("LOG_FORMAT") or "text",  # readable in a terminal; json for a collector
            WEBHOOKS_SECRET_KEY=environ.get("WEBHOOKS_SECRET_KEY") or _webhooks_key(environ, debug),
            PERSONAL_DATA_KEY=environ.get("PERSONAL_DATA_KEY") or _derived_key(environ, debug, b"personal-data:"),
            PYTHONUNBUFFERED="1",
        )
        return cls(
            host=environ.get("STACK_HOST", "127.0.0.1"),
            gateway_port=_port(environ, "PORT", 8080),
            command_port=_port(environ, "COMMAND_API_PORT", 8081),
            query_port=_port(environ, "QUERY_API_PORT", 8082),
            projector_port=_port(environ, "PROJECTOR_PORT", 8083),
            webhooks_port=_port(environ, "WEBHOOKS_PORT", 8084),
            database_url=env["DATABASE_URL"],
            redis_url=env["REDIS_URL"],
            debug=debug,
            env=env,
        )

    def service_env(self, port: int, **extra: str) -> dict[str, str]:
        return {**self.env, "HOST": self.host, "PORT": str(port), **extra}

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"


def _webhooks_key(environ: dict[str, str], debug: bool) -> str:
    """A local stack's key for the webhook secrets: derived from JWT_SECRET (stable across runs), else none
    (DEBUG: the service's development key)."""
    if environ.get("JWT_SECRET"):
        return base64.b64encode(hashlib.sha256(b"webhooks-secrets:" + environ["JWT_SECRET"].encode()).digest()).decode()
    if debug:
        return ""
    raise StackError("WEBHOOKS_SECRET_KEY is not set: give it the base64 of 32 bytes (openssl rand -base64 32)")


def _derived_key(environ: dict[str, str], debug: bool, purpose: bytes) -> str:
    """A local stack's PERSONAL_DATA_KEY: derived from JWT_SECRET (stable across runs), else none (DEBUG: the
    services' development key)."""
    if environ.get("JWT_SECRET"):
        return base64.b64encode(hashlib.sha256(purpose + environ["JWT_SECRET"].encode()).digest()).decode()
    if debug:
        return ""
    raise StackError("PERSONAL_DATA_KEY is not set: give it the base64 of 32 bytes (openssl rand -base64 32)")


def _port(environ: dict[str, str], name: str, default: int) -> int:
    value = environ.get(name) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{name}={value!r} is not a port number")
    return int(value)
