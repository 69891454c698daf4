"""What the handlers need at request time, and how any host app provides it.

The command routes read a :class:`Runtime` from ``app.state.commands``. ``create_app`` fills it in its
lifespan (Postgres pool, relay); an embedded host builds one around its own store, e.g. ``SqliteEventStore``,
with no relay and no Redis, and mounts :func:`ticket_command.routes.command_router` next to its other routes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request

from ticket_service.auth import TokenVerifier
from ticket_workflow.ports import StoreUnavailable

from .handling import CommandService

# A readiness check answers (ok, details); ``/ready`` is ready when every check is.
ReadinessCheck = Callable[[], Awaitable[tuple[bool, Any]]]


@dataclass
class Runtime:
    verifier: TokenVerifier
    service: CommandService | None = None
    checks: dict[str, ReadinessCheck] = field(default_factory=dict)
    mint_secret: str | None = None  # set only in debug mode: signs tokens of POST /api/debug/token

    def commands(self) -> CommandService:
        if self.service is None:
            raise StoreUnavailable("the event store is not connected yet")
        return self.service


def install(app: FastAPI, runtime: Runtime) -> None:
    app.state.commands = runtime


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.commands
    return runtime
