"""The composition root of the embedded mode: ``create_app(settings=None)``.

Mounts the command API's and the query API's own routers on one app; the lifespan opens one SQLite file for
the event store and the read model and wires the in-process projector between them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from ticket_command import debug
from ticket_command.handling import CommandService
from ticket_command.routes import command_router
from ticket_command.runtime import Runtime, install
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_projector.projector import ProjectionHalted, Projector
from ticket_query.app import install_errors
from ticket_query.checkpoints import CheckpointWatch
from ticket_query.routes import create_router
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service import openapi
from ticket_service.auth import DEVELOPMENT_SECRET, TokenVerifier, require_key
from ticket_service.http import install_middleware

from .delivery import ProjectingStore
from .settings import EmbeddedSettings


@dataclass
class Parts:
    """What the lifespan opened; absent until startup."""

    store: SqliteEventStore | None = None
    read_model: SqliteReadModel | None = None
    projector: Projector | None = None

    def model(self) -> SqliteReadModel:
        if self.read_model is None:
            raise RuntimeError("the read model is not open yet")
        return self.read_model


def create_app(settings: EmbeddedSettings | None = None) -> FastAPI:
    settings = settings or EmbeddedSettings()
    auth = require_key(settings.auth, debug=settings.debug)
    verifier = TokenVerifier(auth)
    # Debug tokens are signed with the public development secret only, so they exist only where it is the key.
    minting = settings.debug and auth.secret == DEVELOPMENT_SECRET
    runtime = Runtime(verifier=verifier, mint_secret=DEVELOPMENT_SECRET if minting else None)
    parts = Parts()

    async def read_checkpoint() -> int:
        return await parts.model().checkpoint()

    # Fed by the in-process projector: a wait for a position or a live stream wakes when it is projected.
    watch = CheckpointWatch(read_checkpoint, poll_seconds=settings.stream_poll_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = await SqliteDatabase.open(settings.db_path)
        try:
            parts.store = await SqliteEventStore.create(db)
            parts.read_model = SqliteReadModel(db)
            await parts.read_model.migrate()
            parts.projector = Projector(parts.read_model, parts.store)
            # Whatever was stored but not projected before a stop. A poison event halts the projection (logged,
            # on /ready) but not the app: commands and (stale) reads keep working until it is fixed.
            with contextlib.suppress(ProjectionHalted):
                await parts.projector.catch_up()
            watch.advance(await parts.read_model.checkpoint())
            watch.feeding(True)
            runtime.service = CommandService(ProjectingStore(parts.store, parts.projector, watch.advance))
            yield
        finally:
            watch.feeding(False)
            runtime.service = None
            await db.close()

    app = FastAPI(
        title="Support Ticket (embedded)",
        version="0.1.0",
        description="The command and query APIs of the support-ticket system in one process, on one SQLite file.",
        lifespan=lifespan,
    )
    install(app, runtime)
    install_errors(app)
    install_middleware(app, max_body_bytes=settings.max_body_bytes)
    openapi.install(app)
    app.include_router(command_router())
    if minting:
        app.include_router(debug.router)
    app.include_router(
        create_router(
            parts.model,
            verifier,
            watch=watch,
            min_position_timeout=settings.min_position_timeout_seconds,
            stream_poll_seconds=settings.stream_poll_seconds,
            stream_keepalive_seconds=settings.stream_keepalive_seconds,
        )
    )
    _health_routes(app, parts)
    if settings.frontend_dir is not None and settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    return app


def _health_routes(app: FastAPI, parts: Parts) -> None:
    @app.get("/health", tags=["health"], summary="The process is alive")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["health"], summary="Store open and the projection caught up or catching up")
    async def ready() -> JSONResponse:
        if parts.store is None or parts.read_model is None or parts.projector is None:
            return JSONResponse({"success": False, "code": "not_ready", "message": "starting"}, status_code=503)
        last, projected = await parts.store.last_position(), await parts.read_model.checkpoint()
        body: dict[str, Any] = {"last_position": last, "projected_position": projected, "lag": last - projected}
        halt = parts.projector.halt or await parts.read_model.recorded_halt()
        if halt is not None:
            message = f"projection halted at position {halt.position}: {halt.reason}"
            poison = halt.model_dump(mode="json")
            return JSONResponse(
                {"success": False, "code": "projection_halted", "message": message, "poison_event": poison, **body},
                status_code=503,
            )
        return JSONResponse({"success": True, "status": "ready", **body})
