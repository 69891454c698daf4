"""Composition root of the query API: ``create_app(settings=None, read_model=None)``.

Without a read model, the lifespan connects to PostgreSQL (``DATABASE_URL``, ``READ_MODEL_SCHEMA``), starts the
process's checkpoint listener and, for the lag on ``/ready``, connects to the event store (``EVENT_STORE_URL``,
default ``DATABASE_URL``). Nothing connects or reads the environment at import time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, cast

import asyncpg
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.read_model import ReadModel
from ticket_service import errors, openapi
from ticket_service.auth import TokenVerifier, require_key
from ticket_service.errors import ErrorBody
from ticket_service.http import install_middleware
from ticket_workflow.ports import EventStore, StoreUnavailable

from . import freshness
from .checkpoints import CheckpointWatch
from .connections import ReadConnections
from .listener import CheckpointListener
from .routes import create_router
from .settings import QuerySettings


def install_errors(app: FastAPI) -> None:
    """The shared error shape, plus 503 ``projection_behind`` with ``Retry-After``."""
    errors.install(app)
    freshness.install(app)


def create_app(
    settings: QuerySettings | None = None,
    read_model: ReadModel | None = None,
    verifier: TokenVerifier | None = None,
    event_store: EventStore | None = None,
    watch: CheckpointWatch | None = None,
) -> FastAPI:
    """The query API; ``read_model`` (and ``event_store``, for the lag on ``/ready``) replace the Postgres ones.

    ``watch`` is the process's checkpoint; the lifespan feeds it from a listener when it opens the read model.
    """
    settings = settings or QuerySettings()
    verifier = verifier or TokenVerifier(require_key(settings.auth, debug=settings.debug))
    holder: dict[str, Any] = {}
    if read_model is not None:
        holder["read_model"] = read_model
        holder["event_store"] = event_store

    async def read_checkpoint() -> int:
        return int(await holder["read_model"].checkpoint())

    watch = watch or CheckpointWatch(read_checkpoint, poll_seconds=settings.stream_poll_seconds)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if "read_model" in holder:
            yield
            return
        async with AsyncExitStack() as pools:
            try:
                connections = await ReadConnections.open(settings.database_url, settings.db_read_connections)
            except (OSError, TimeoutError, asyncpg.PostgresConnectionError) as exc:
                raise StoreUnavailable(f"PostgreSQL unreachable: {exc}") from exc
            pools.push_async_callback(connections.close)
            store_pool = await create_pool(settings.store_url, max_size=2)
            pools.push_async_callback(store_pool.close)
            # The read model only fetches through its pool: the lean connections stand in for asyncpg's.
            holder["read_model"] = PostgresReadModel(cast(asyncpg.Pool, connections), settings.read_model_schema)
            holder["event_store"] = PostgresEventStore(store_pool)
            listener = CheckpointListener(settings.database_url, settings.read_model_schema, watch)
            listening = asyncio.create_task(listener.run(), name="checkpoint-listener")
            pools.push_async_callback(_stopped, listening)
            yield

    app = FastAPI(
        title="Support-ticket query API",
        version="0.1.0",
        description="Tickets, lists, audit trail, time travel, stats and live updates from the read models.",
        lifespan=lifespan,
    )
    install_middleware(app)
    install_errors(app)
    openapi.install(app)
    app.include_router(
        create_router(
            lambda: holder["read_model"],
            verifier,
            watch=watch,
            min_position_timeout=settings.min_position_timeout_seconds,
            stream_poll_seconds=settings.stream_poll_seconds,
            stream_keepalive_seconds=settings.stream_keepalive_seconds,
        )
    )

    @app.get("/health", tags=["ops"], summary="The process is alive")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/ready",
        tags=["ops"],
        summary="The read model answers; how far it has projected and how far behind the event store",
        responses={503: {"model": ErrorBody, "description": "The read model is unreachable"}},
    )
    async def ready() -> JSONResponse:
        try:
            projected = await holder["read_model"].checkpoint()
        except Exception as exc:
            message = f"the read model is unreachable: {type(exc).__name__}: {exc}"
            body = {"success": False, "code": "not_ready", "message": message, "status": "unavailable"}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", "projected_position": projected} | await _lag(holder, projected))

    return app


async def _stopped(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _lag(holder: dict[str, Any], projected: int) -> dict[str, Any]:
    """How far the read model is behind the event store (null when the store is not known or unreachable)."""
    store: EventStore | None = holder.get("event_store")
    if store is None:
        return {"last_position": None, "lag": None}
    try:
        last = await store.last_position()
    except Exception as exc:
        return {"last_position": None, "lag": None, "event_store": f"unreachable: {type(exc).__name__}: {exc}"}
    return {"last_position": last, "lag": max(0, last - projected)}
