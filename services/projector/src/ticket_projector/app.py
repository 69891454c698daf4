"""Composition root of the projector: ``build_parts(settings)``, ``install(app, parts)`` and ``create_app(settings)``
(the shell plus this install). Nothing connects at import time or while building: the lifespan starts the
:class:`~ticket_projector.runtime.Runtime` (pools, the consumer, its supervisor) and stops it at shutdown. The
embedded app installs the same part around an :class:`~ticket_projector.inprocess.InProcessProjection`.

``/health`` fails once the consuming task has ended, so that compose or Kubernetes restarts the process; ``/ready``
gives the checkpoint, the event store's last position and the lag, or why it is not consuming (halted on a poison
event, retrying, starting).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI

from ticket_service import tracing
from ticket_service.auth import TokenVerifier, require_key
from ticket_service.shell import NotReady, ReadinessCheck, add_checks, add_lifespan, create_shell

from . import admin, metrics, sla_metrics
from .projector import ProjectionObserver
from .runtime import Runtime
from .settings import ProjectorSettings
from .sla_stream import PostgresSlaTimer
from .sla_timer import SlaTimer, WakeOnApply
from .telemetry import ProjectionTelemetry


class Projection(Protocol):
    """What a projector part runs: the Redis consumer (:class:`Runtime`), or :class:`InProcessProjection`.

    ``observers`` are handed to the projector when it starts (metrics, logs, traces)."""

    observers: list[ProjectionObserver]

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def readiness(self) -> tuple[bool, dict[str, Any]]: ...

    def ended(self) -> bool: ...


@dataclass(frozen=True)
class Parts:
    """The projection this process runs (built from settings, or by the embedded app; started by the lifespan)."""

    runtime: Projection
    verifier: TokenVerifier | None = None  # of the admin routes; None: the host app's (the embedded app's)
    sla: PostgresSlaTimer | None = None  # the replicas' service-level timer (an in-process projection runs its own)


def build_parts(settings: ProjectorSettings) -> Parts:
    """Without a JWT key (and without DEBUG) the admin routes answer 503: the projector still projects."""
    configured = settings.auth.configured or settings.debug
    return Parts(
        Runtime(settings),
        TokenVerifier(require_key(settings.auth, debug=settings.debug)) if configured else None,
        PostgresSlaTimer(settings) if settings.sla_timer_enabled else None,
    )


def install(app: FastAPI, parts: Parts) -> None:
    """The projection's lifetime in the app's lifespan, and its readiness check (``projection``, a headline).

    The app holds the projection as ``app.state.runtime``: the lifespan starts it, the checks read it."""
    app.state.runtime = parts.runtime
    parts.runtime.observers.append(ProjectionTelemetry())  # a line per applied batch; spans when tracing is on

    def runtime() -> Projection:
        held: Projection = app.state.runtime
        return held

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        projection = runtime()
        await projection.start()
        try:
            if parts.sla is not None:
                await parts.sla.start()
            yield
        finally:
            if parts.sla is not None:
                await parts.sla.stop()
            await projection.stop()

    async def check() -> Any:
        ok, body = await runtime().readiness()
        if not ok:
            details = {key: value for key, value in body.items() if key not in ("success", "message", "error")}
            raise NotReady(body["message"], **details)
        return {key: value for key, value in body.items() if key != "status"}

    def dead() -> str | None:
        return "the projector's consuming task has ended" if runtime().ended() else None

    add_lifespan(app, running)
    add_checks(app, [ReadinessCheck("projection", check, headline=True, dead=dead)])
    admin.install(app, parts.verifier)
    metrics.install(app, parts.runtime)
    timer: SlaTimer | None = parts.sla.timer if parts.sla else getattr(parts.runtime, "sla_timer", None)
    app.state.sla_timer = timer  # the admin status shows whether it leads and its last round
    if timer is not None:
        parts.runtime.observers.append(WakeOnApply(timer))
        sla_metrics.install(app, timer)


def create_app(settings: ProjectorSettings | None = None) -> FastAPI:
    tracing.install("projector")
    app = create_shell(title="Support-ticket projector", version="0.1.0")
    install(app, build_parts(settings or ProjectorSettings()))
    return app
