"""Composition root of the webhook dispatcher: ``build_parts(settings)``, ``install(app, parts)`` and
``create_app(settings)`` (the shell plus this install). Nothing connects at import time or while building: the
lifespan starts the :class:`~ticket_webhooks.runtime.Runtime` (pools, the consumer, the worker) and stops it.

``/health`` fails once the consumer or the worker has ended, so that compose or Kubernetes restarts the process;
``/ready`` gives the checkpoint, the event store's last position, the lag and the deliveries waiting."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from ticket_service import tracing
from ticket_service.auth import TokenVerifier, require_key
from ticket_service.security import use_verifier
from ticket_service.shell import ReadinessCheck, add_checks, add_lifespan, create_shell
from ticket_workflow import Event

from . import api, metrics
from .endpoints import Endpoints
from .runtime import Runtime
from .sealing import Sealer
from .settings import WebhooksSettings


@dataclass(frozen=True)
class Parts:
    """What the service runs: the dispatcher's runtime, the secrets' sealer, the admin API's token verifier."""

    runtime: Runtime
    sealer: Sealer
    verifier: TokenVerifier
    settings: WebhooksSettings


def build_parts(settings: WebhooksSettings) -> Parts:
    """Refuses (:class:`~ticket_service.auth.MissingKey`, :class:`~ticket_webhooks.sealing.MissingSecretKey`)
    without a JWT key or a secrets' key, unless DEBUG."""
    verifier = TokenVerifier(require_key(settings.auth, debug=settings.debug))
    sealer = Sealer.from_setting(settings.webhooks_secret_key, debug=settings.debug)
    return Parts(Runtime(settings, sealer), sealer, verifier, settings)


class _Backend:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    def endpoints(self) -> Endpoints:
        return self.runtime.endpoints

    async def last_position(self) -> int:
        return await self.runtime.store.last_position()

    async def events_from(self, position: int, limit: int) -> list[Event]:
        return await self.runtime.store.read_all(position - 1, limit)

    def wake(self) -> None:
        self.runtime.dispatcher.wake()


def install(app: FastAPI, parts: Parts) -> None:
    """The dispatcher's lifetime in the app's lifespan, its readiness check (``dispatcher``), the admin API and
    the metrics."""
    runtime = parts.runtime
    app.state.webhooks_redeliver_limit = parts.settings.webhooks_redeliver_limit

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    async def check() -> Any:
        return await runtime.readiness()

    def dead() -> str | None:
        return "the webhook consumer or worker has ended" if runtime.ended() else None

    add_lifespan(app, running)
    add_checks(app, [ReadinessCheck("dispatcher", check, headline=True, dead=dead)])
    use_verifier(app, parts.verifier)
    s = parts.settings
    api.install(app, _Backend(runtime), parts.sealer, s.webhooks_allow_private, s.webhooks_allowed_hosts)
    metrics.install(app, runtime)


def create_app(settings: WebhooksSettings | None = None) -> FastAPI:
    tracing.install("webhooks")
    app = create_shell(title="Support-ticket webhooks", version="0.1.0", max_body_bytes=65_536)
    install(app, build_parts(settings or WebhooksSettings()))
    return app
