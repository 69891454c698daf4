"""Composition root of the projector: ``create_app(settings)`` builds the health port and, in its lifespan,
the runtime. Nothing connects at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .runtime import Runtime
from .settings import ProjectorSettings


def create_app(settings: ProjectorSettings | None = None) -> FastAPI:
    settings = settings or ProjectorSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings)
        await runtime.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="Support-ticket projector", version="0.1.0", lifespan=lifespan)

    @app.get("/health", summary="The process is alive and still consuming")
    async def health(request: Request) -> JSONResponse:
        # Liveness fails once the consuming task has ended, so that compose or Kubernetes restarts the process.
        runtime = getattr(request.app.state, "runtime", None)
        if runtime is not None and not runtime.alive():
            body = {"status": "dead", "code": "not_alive", "message": "the projector's consuming task has ended"}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/ready", summary="Consuming, not halted; checkpoint and lag behind the event store")
    async def ready(request: Request) -> JSONResponse:
        ok, body = await request.app.state.runtime.readiness()
        return JSONResponse(body, status_code=200 if ok else 503)

    return app
