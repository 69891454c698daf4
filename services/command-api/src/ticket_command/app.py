"""The composition root: ``build_parts(settings, store=None)``, ``install(app, parts)`` and
``create_app(settings=None, store=None)`` (the shell plus this install).

Nothing connects at import time or while building. The lifespan opens what the parts hold:

- no ``store`` given: an asyncpg pool on ``DATABASE_URL``, the PostgreSQL event store and (unless
  ``RELAY_ENABLED=false``) the relay publishing to ``REDIS_URL``;
- a ``store`` given (e.g. the embedded ``SqliteEventStore``): that store, no pool, no relay, no Redis.
"""

from __future__ import annotations

from fastapi import FastAPI

from ticket_eventstore.ports import CommandStore
from ticket_service import tracing
from ticket_service.auth import DEVELOPMENT_SECRET, TokenVerifier, require_key
from ticket_service.security import use_verifier
from ticket_service.shell import add_checks, add_lifespan, create_shell

from . import asyncapi, debug, metrics
from .privacy_routes import privacy_router
from .routes import command_router
from .runtime import GivenStore, Parts, PostgresStore
from .settings import Settings
from .sla_routes import sla_router

TITLE = "Support-ticket command API"
DESCRIPTION = "Create support tickets and fire workflow transitions. Errors: `{success: false, code, ...}`."


def build_parts(settings: Settings, store: CommandStore | None = None) -> Parts:
    """Refuses (:class:`~ticket_service.auth.MissingKey`) to build without a JWT key unless ``DEBUG``."""
    auth = require_key(settings.auth, debug=settings.debug)
    minting = settings.debug and auth.secret == DEVELOPMENT_SECRET  # never mint tokens signed with a real key
    return Parts(
        verifier=TokenVerifier(auth),
        source=PostgresStore(settings) if store is None else GivenStore(lambda: store),
        cached_tickets=settings.cached_tickets,
        event_stream=settings.event_stream,
        mint_secret=DEVELOPMENT_SECRET if minting else None,
    )


def install(app: FastAPI, parts: Parts) -> None:
    """The command routes, the debug token route (when ``parts.mint_secret``), ``/asyncapi.json`` (when
    ``parts.event_stream``), the store's readiness checks, the store opened for the app's lifetime, and the
    command metrics on the app's registry."""
    app.state.commands = parts
    use_verifier(app, parts.verifier)
    add_lifespan(app, parts.open)
    metrics.install(app, parts)  # after the store's lifespan: its observers attach to what that opened
    add_checks(app, parts.source.checks())
    app.include_router(command_router())
    app.include_router(sla_router())  # the service-level policy (admin)
    app.include_router(privacy_router())
    if parts.mint_secret is not None:
        app.include_router(debug.router)
    stream = parts.event_stream
    if stream is not None:

        @app.get("/asyncapi.json", tags=["health"], summary="AsyncAPI document of the event stream")
        async def asyncapi_document() -> dict[str, object]:
            return asyncapi.document(stream)


def create_app(settings: Settings | None = None, store: CommandStore | None = None) -> FastAPI:
    settings = settings or Settings()
    tracing.install("command-api")
    parts = build_parts(settings, store)
    app = create_shell(title=TITLE, version="0.1.0", description=DESCRIPTION, max_body_bytes=settings.max_body_bytes)
    install(app, parts)
    return app
