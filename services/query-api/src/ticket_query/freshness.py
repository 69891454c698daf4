"""Read-your-writes: wait, within a bound, until the projection has reached the position a command returned."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ticket_service.errors import error_response

from .checkpoints import CheckpointWatch

MIN_POSITION_HEADER = "X-Min-Position"


class ProjectionBehind(Exception):
    def __init__(self, projected: int, requested: int) -> None:
        super().__init__(f"the read model is at position {projected}, {requested - projected} behind {requested}")
        self.projected = projected
        self.requested = requested


async def wait_for_position(watch: CheckpointWatch, requested: int, bound_seconds: float) -> int:
    """The projected position once it reaches ``requested``; :class:`ProjectionBehind` after ``bound_seconds``.

    The wait is woken by the process's checkpoint feed, so it returns as soon as the position is projected.
    """
    projected = await watch.wait_for(requested, bound_seconds)
    if projected < requested:
        raise ProjectionBehind(projected, requested)
    return projected


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
