"""The HTTP shell every service is built in: ``create_shell`` and what a service's ``install`` hooks into it.

A service is built in three steps, the same for the command API, the query API, the projector and the embedded
app (which runs the three installs in one shell)::

    parts = build_parts(settings)            # the service's composition root: its ``Parts``, nothing connected
    app = create_shell(title=..., version=..., max_body_bytes=...)
    install(app, parts)                      # routes, its own error handlers, add_lifespan, add_checks

What the shell sets, once, for every service:

- the middleware (:class:`ticket_service.http.ServiceMiddleware`), outermost first: request id, input hygiene
  (422), body limit (413, when ``max_body_bytes`` is given), then failures no handler took: 503
  ``store_unavailable`` / ``store_not_migrated`` when a store failed, else a 500 ``internal_error`` JSON body;
  every answer, these included, carries ``X-Request-ID`` and is counted in the HTTP metrics;
- ``GET /metrics`` (:mod:`ticket_service.metrics`): the app's own Prometheus registry, which a service adds its
  metrics to (``registry_of(app)``); no token, not in the OpenAPI document, for the scraper only;
- the error handlers (:func:`ticket_service.errors.install`): rejections, auth, validation, HTTP errors, store
  unavailable, all in the shared shape ``{success: false, code, message, field?, request_id}``;
- the OpenAPI corrections (:mod:`ticket_service.openapi`): 422 and 500 documented on every operation;
- the lifespan: every ``add_lifespan`` context entered in the order added, left in reverse;
- ``GET /health`` and ``GET /ready`` from the app's :class:`ReadinessCheck` list (``add_checks``):

  ``/ready`` runs every check (each within ``CHECK_TIMEOUT`` seconds). A check returns its details (any JSON
  value) when ready, and raises when not: :class:`NotReady` to give a ``code``, a ``status`` and details (else
  ``{"error": message}``), any other exception for a plain ``not_ready`` with ``{"error": ...}``. The body is
  ``{success, status, checks: {name: details}}``; when a check fails, also ``code`` and ``status`` (of the first
  failing check) and ``message`` naming each failing check (``"name: why"``), with 503. The details of a
  ``headline`` check (a mapping) are also copied to the top of the body (e.g. ``checkpoint`` and ``lag``). No
  checks at all is not ready (``starting``).

  ``/health`` is 200 ``{"status": "ok"}`` while every check's ``dead`` hook (a background task the process needs)
  returns None, else 503 ``not_alive`` naming why, so that the orchestrator restarts the process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig

from . import errors, metrics, openapi
from .errors import ErrorBody
from .http import ServiceMiddleware

CHECK_TIMEOUT = 3.0
Lifespan = Callable[[], AbstractAsyncContextManager[Any]]


class NotReady(Exception):
    """Raised by a readiness check: ``message`` says why; ``code``, ``status`` and ``details`` go on ``/ready``."""

    def __init__(self, message: str, *, code: str = "not_ready", status: str = "not_ready", **details: Any) -> None:
        super().__init__(message)
        self.message, self.code, self.status, self.details = message, code, status, details


@dataclass(frozen=True)
class ReadinessCheck:
    """One line of ``/ready``: ``check`` returns the details when ready and raises (:class:`NotReady`) when not.

    ``headline``: the details (or a :class:`NotReady`'s) are also copied to the top of the body.
    ``dead``: returns why the process should be restarted (a background task ended), or None; read by ``/health``.
    """

    name: str
    check: Callable[[], Awaitable[Any]]
    headline: bool = False
    dead: Callable[[], str | None] | None = None


# FastAPI's native OpenTelemetry off: the middleware makes the request's span (tracing.traced_request) and the
# metrics are Prometheus'. Left on, FastAPI looks up the tracer, meter and logger providers on every request (2-3% of
# a create's CPU in the command API with tracing off) and, with tracing on, adds spans of its own per dependency.
_OWN_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def create_shell(*, title: str, version: str, description: str = "", max_body_bytes: int | None = None) -> FastAPI:
    """A FastAPI app with the middleware, error handlers, OpenAPI defaults, lifespan and ``/health`` ``/ready``
    of every service (see the module's docstring). Services add routes, checks and lifespans with their install."""
    lifespans: list[Lifespan] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for opened in lifespans:
                await stack.enter_async_context(opened())
            yield

    app = FastAPI(title=title, version=version, description=description, lifespan=lifespan, telemetry=_OWN_TELEMETRY)
    app.state.lifespans = lifespans
    app.state.readiness = []
    errors.install(app)
    app.add_middleware(ServiceMiddleware, max_body_bytes=max_body_bytes, metrics=metrics.install(app))
    openapi.install(app)
    app.get("/health", tags=["health"], summary="The process is alive", responses=_HEALTH)(_health)
    app.get("/ready", tags=["health"], summary="Ready to serve: every readiness check passes", responses=_READY)(_ready)
    return app


def add_lifespan(app: FastAPI, opened: Lifespan) -> None:
    """``opened()`` is entered at startup, after those added before it, and left at shutdown, before them."""
    _lifespans(app).append(opened)


def add_checks(app: FastAPI, checks: Iterable[ReadinessCheck]) -> None:
    """Adds checks to ``/ready`` (and their ``dead`` hooks to ``/health``); names are unique within an app."""
    readiness = checks_of(app)
    for check in checks:
        if any(known.name == check.name for known in readiness):
            raise ValueError(f"a readiness check named {check.name!r} is already installed")
        readiness.append(check)


def checks_of(app: FastAPI) -> list[ReadinessCheck]:
    readiness: list[ReadinessCheck] | None = getattr(app.state, "readiness", None)
    if readiness is None:
        raise RuntimeError("not a shell: build the app with ticket_service.shell.create_shell")
    return readiness


def _lifespans(app: FastAPI) -> list[Lifespan]:
    checks_of(app)
    lifespans: list[Lifespan] = app.state.lifespans
    return lifespans


async def _health(request: Request) -> JSONResponse:
    dead = [why for check in checks_of(request.app) if check.dead is not None and (why := check.dead()) is not None]
    if dead:
        body = {"status": "dead", "code": "not_alive", "message": "; ".join(dead)}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ok"})


async def _ready(request: Request) -> JSONResponse:
    checks = checks_of(request.app)
    results = await asyncio.gather(*(_run(check) for check in checks))
    body: dict[str, Any] = {}
    failures: list[tuple[str, NotReady]] = []
    details: dict[str, Any] = {}
    for check, (detail, failure) in zip(checks, results, strict=True):
        details[check.name] = detail
        if check.headline and isinstance(detail, Mapping):
            body |= detail
        if failure is not None:
            failures.append((check.name, failure))
    if not checks:
        failures.append(("shell", NotReady("no readiness check installed yet", status="starting")))
    ok = not failures
    body |= {"success": ok, "status": "ready", "checks": details}
    if not ok:
        first = failures[0][1]
        message = "; ".join(f"{name}: {failure.message}" for name, failure in failures)
        body |= {"status": first.status, "code": first.code, "message": message}
    return JSONResponse(body, status_code=200 if ok else 503)


async def _run(check: ReadinessCheck) -> tuple[Any, NotReady | None]:
    try:
        return await asyncio.wait_for(check.check(), CHECK_TIMEOUT), None
    except NotReady as exc:
        return exc.details or {"error": exc.message}, exc
    except Exception as exc:
        why = f"{type(exc).__name__}: {exc}" if str(exc) else repr(exc)
        return {"error": why}, NotReady(why)


_HEALTH: dict[int | str, dict[str, Any]] = {503: {"description": "A background task the process needs has ended"}}
_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "Not ready: `message` names each failing check"}
}
