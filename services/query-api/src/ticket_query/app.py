"""Composition root of the query API: ``create_app(settings=None, read_model=None)``.

Without a read model, the lifespan connects to PostgreSQL (``DATABASE_URL``, ``READ_MODEL_SCHEMA``). Nothing
connects or reads the environment at import time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ticket_eventstore.postgres import create_pool
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.read_model import ReadModel
from ticket_service import errors
from ticket_service.auth import TokenVerifier, require_key
from ticket_service.http import RequestId

from . import freshness
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
) -> FastAPI:
    settings = settings or QuerySettings()
    verifier = verifier or TokenVerifier(require_key(settings.auth, debug=settings.debug))
    holder: dict[str, ReadModel] = {}
    if read_model is not None:
        holder["read_model"] = read_model

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if "read_model" in holder:
            yield
            return
        pool = await create_pool(settings.database_url, max_size=10)
        holder["read_model"] = PostgresReadModel(pool, settings.read_model_schema)
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Support-ticket query API",
        version="0.1.0",
        description="Tickets, lists, audit trail, time travel, stats and live updates from the read models.",
        lifespan=lifespan,
    )
    app.add_middleware(RequestId)
    install_errors(app)
    app.include_router(
        create_router(
            lambda: holder["read_model"],
            verifier,
            min_position_timeout=settings.min_position_timeout_seconds,
            stream_poll_seconds=settings.stream_poll_seconds,
        )
    )

    @app.get("/health", tags=["ops"], summary="The process is alive")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["ops"], summary="The read model answers; how far it has projected")
    async def ready() -> JSONResponse:
        try:
            projected = await holder["read_model"].checkpoint()
        except Exception as exc:
            return JSONResponse({"status": "unavailable", "error": f"{type(exc).__name__}: {exc}"}, status_code=503)
        return JSONResponse({"status": "ready", "projected_position": projected})

    return app
