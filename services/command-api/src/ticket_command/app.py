"""The composition root: ``create_app(settings=None, store=None)``.

Nothing connects at import time. The lifespan builds what the settings ask for:

- no ``store`` given: an asyncpg pool on ``DATABASE_URL``, the PostgreSQL event store and (unless
  ``RELAY_ENABLED=false``) the relay publishing to ``REDIS_URL``;
- a ``store`` given (e.g. the embedded ``SqliteEventStore``): that store, no pool, no relay, no Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis

from ticket_eventstore import migrations
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_eventstore.relay import Relay
from ticket_service import errors, openapi
from ticket_service.auth import DEVELOPMENT_SECRET, TokenVerifier, require_key
from ticket_service.http import install_middleware
from ticket_workflow.ports import EventStore

from . import asyncapi, debug, health
from .handling import CommandService
from .routes import command_router
from .runtime import Runtime, install
from .settings import Settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, store: EventStore | None = None) -> FastAPI:
    settings = settings or Settings()
    auth = require_key(settings.auth, debug=settings.debug)  # refuses to build without a key unless DEBUG
    runtime = Runtime(verifier=TokenVerifier(auth), mint_secret=auth.secret if settings.debug else None)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if store is not None:
                runtime.service = CommandService(store)
                runtime.checks = {"event_store": health.store_check(store)}
            else:
                await _connect_postgres(settings, runtime, stack)
            yield
            runtime.service = None

    app = FastAPI(
        title="Support-ticket command API",
        version="0.1.0",
        description="Create support tickets and fire workflow transitions. Errors: `{success: false, code, ...}`.",
        lifespan=lifespan,
    )
    install(app, runtime)
    errors.install(app)
    _install_store_errors(app)
    install_middleware(app, max_body_bytes=settings.max_body_bytes)
    openapi.install(app)
    app.include_router(health.router)
    app.include_router(command_router())
    if settings.debug and auth.secret == DEVELOPMENT_SECRET:  # never mint tokens signed with a real key
        app.include_router(debug.router)

    @app.get("/asyncapi.json", tags=["health"], summary="AsyncAPI document of the event stream")
    async def asyncapi_document() -> dict[str, object]:
        return asyncapi.document(settings.event_stream)

    return app


async def _connect_postgres(settings: Settings, runtime: Runtime, stack: contextlib.AsyncExitStack) -> None:
    # min_size=0: the service starts (and answers 503) while Postgres is unreachable.
    timeouts = settings.timeouts()
    pool = await create_pool(
        settings.database_url,
        min_size=0,
        max_size=settings.db_pool_max_size,
        timeout=settings.db_connect_timeout,
        timeouts=timeouts,
        reset_sessions=False,  # commands leave no session state behind (transaction-scoped locks only)
    )
    stack.push_async_callback(pool.close)
    if settings.migrate_on_start:
        async with pool.acquire() as conn:
            await conn.execute("SET statement_timeout = 0")  # a migration may take longer than a command
            try:
                await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
            finally:
                await conn.execute("RESET statement_timeout")
    pg_store = PostgresEventStore(pool, acquire_timeout=timeouts.acquire, max_batch=settings.append_max_batch)
    runtime.service = CommandService(pg_store, cached_tickets=settings.cached_tickets)
    runtime.checks = {"postgres": health.postgres_check(pool), "migrations": health.migrations_check(pool)}
    if settings.relay_enabled:
        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
        stack.push_async_callback(redis.aclose)
        relay = Relay.for_dsn(settings.database_url, pg_store, redis, settings.relay())
        task = asyncio.create_task(relay.run(), name="relay")
        stack.push_async_callback(_stop, task)
        runtime.checks["relay"] = health.relay_check(relay, task)


def _install_store_errors(app: FastAPI) -> None:
    """Database failures the shared handlers do not know, in the shared error shape."""

    @app.exception_handler(asyncpg.UndefinedTableError)
    @app.exception_handler(asyncpg.UndefinedFunctionError)  # append_batch: a store migrated by an older release
    async def _not_migrated(request: Request, exc: Exception) -> JSONResponse:
        message = "the event store schema is missing: run `ticket-command-api migrate`"
        return errors.error_response(request, 503, "store_not_migrated", message)

    @app.exception_handler(asyncpg.PostgresConnectionError)
    @app.exception_handler(asyncpg.OperatorInterventionError)
    async def _connection_lost(request: Request, exc: Exception) -> JSONResponse:
        return errors.error_response(request, 503, "store_unavailable", f"PostgreSQL unavailable: {exc}")


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
