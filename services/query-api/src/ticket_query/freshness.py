"""Read-your-writes: wait, within a bound, until the projection has reached the position a command returned."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ticket_readmodel.read_model import ReadModel
from ticket_service.errors import error_response

MIN_POSITION_HEADER = "X-Min-Position"
_POLL_SECONDS = 0.05


class ProjectionBehind(Exception):
    def __init__(self, projected: int, requested: int) -> None:
        super().__init__(f"the read model is at position {projected}, {requested - projected} behind {requested}")
        self.projected = projected
        self.requested = requested


async def wait_for_position(read_model: ReadModel, requested: int, bound_seconds: float) -> int:
    """The projected position once it reaches ``requested``; :class:`ProjectionBehind` after ``bound_seconds``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + bound_seconds
    while True:
        projected = await read_model.checkpoint()
        remaining = deadline - loop.time()
        if projected >= requested:
            return projected
        if remaining <= 0:
            raise ProjectionBehind(projected, requested)
        await asyncio.sleep(min(_POLL_SECONDS, remaining))


def install(app: FastAPI) -> None:
    @app.exception_handler(ProjectionBehind)
    async def _behind(request: Request, exc: ProjectionBehind) -> JSONResponse:
        response = error_response(
            request,
            503,
            "projection_behind",
            f"not yet: the read model has projected up to position {exc.projected}, "
            f"{exc.requested - exc.projected} behind the requested {exc.requested}; retry shortly",
            projected_position=exc.projected,
            requested_position=exc.requested,
            behind=exc.requested - exc.projected,
        )
        response.headers["Retry-After"] = "1"
        return response
