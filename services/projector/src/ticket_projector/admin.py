"""The operator's console API under ``/api/admin`` (admin role only): the system's status, and retry, skip and
rebuild of a projection. Each route works on :mod:`ticket_projector.operations` of the app's projection, so the
projector service and the embedded app answer alike."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ticket_readmodel.alerts import SlaAlert
from ticket_readmodel.operations import RebuildProgress, Skip
from ticket_service.auth import TokenVerifier
from ticket_service.errors import ApiError, documented
from ticket_service.security import AdminActor, use_verifier

from .inprocess import InProcessProjection
from .operations import PROJECTION, Operations, Refused, for_runtime
from .runtime import Runtime

PREFIX = "/api/admin"


class HaltView(BaseModel):
    position: int
    event_type: str
    ticket_id: str
    reason: str
    halted_at: datetime
    event: dict[str, Any] | None = Field(description="The stored event at the halt's position, as the store holds it.")


class ProjectionView(BaseModel):
    name: str
    status: Literal["running", "starting", "retrying", "halted", "rebuilding"]
    checkpoint: int
    behind_positions: int
    behind_seconds: float = Field(description="Age of the first event not applied yet (0 when none).")
    halt: HaltView | None
    rebuild: RebuildProgress | None
    skipped: list[Skip] = Field(description="The latest skipped events, newest first (at most 20).")


class RelayView(BaseModel):
    stream: str
    leader: bool = Field(description="Some command-api replica holds the relay's lock and publishes.")
    published_position: int
    behind_positions: int
    behind_seconds: float = Field(description="Age of the oldest event not published yet (0 when none).")


class GroupView(BaseModel):
    name: str
    pending: int
    consumers: int


class AlertView(SlaAlert):
    published_at: datetime | None = Field(description="When it was added to the alerts stream (None: not yet).")


class SlaTimerView(BaseModel):
    leader: bool = Field(
        description="Some process raises the service-level alerts: a projector replica holds the timer's lock "
        "(in the embedded mode: its timer runs)."
    )
    leading_here: bool | None = Field(
        description="This process raises them; None when it runs no timer (SLA_TIMER_ENABLED=false, the CLI)."
    )
    last_round_at: datetime | None = Field(description="This process's last round (None: it has not led).")
    last_error: str | None = Field(description="Why this process's last round failed (None: it did not).")
    stream: str | None = Field(description="The alerts stream; None in the embedded mode (nothing is published).")
    unpublished: int | None = Field(
        description="Alerts raised and not on the stream yet (the outbox); None in the embedded mode."
    )
    last_raised: AlertView | None = Field(description="The last alert raised (None: none yet).")
    last_published: AlertView | None = Field(
        description="The last alert added to the stream (None: none yet, or the embedded mode)."
    )


class SystemView(BaseModel):
    success: bool = True
    generated_at: datetime
    store_position: int
    relay: RelayView | None = Field(description="None in the embedded mode (no relay).")
    consumer_group: GroupView | None = Field(description="None in the embedded mode (no Redis).")
    projections: list[ProjectionView]
    sla_timer: SlaTimerView = Field(description="The service-level timer: who raises the alerts, their outbox.")


class ProjectionAnswer(BaseModel):
    success: bool = True
    projection: ProjectionView


class SkipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int = Field(strict=True, ge=1, description="The halt's position, as the status showed it.")
    reason: str = Field(min_length=3, max_length=500, description="Why the event is skipped (kept with it).")

    @field_validator("reason")
    @classmethod
    def _meaningful(cls, reason: str) -> str:
        if len(reason.strip()) < 3 or "\x00" in reason:
            raise ValueError("give a reason of at least 3 characters")
        return reason.strip()


def _configured(request: Request) -> None:
    if getattr(request.app.state, "verifier", None) is None:
        raise ApiError(
            503, "auth_unavailable", "the admin API needs a JWT key: set JWT_SECRET (or JWT_PUBLIC_KEY / JWT_JWKS_URL)"
        )


def _known(name: str) -> None:
    if name != PROJECTION:
        raise ApiError(404, "not_found", f"no projection named {name!r} (there is {PROJECTION!r})")


def operations_of(request: Request, name: str | None = None) -> Operations:
    if name is not None:
        _known(name)
    projection = request.app.state.runtime
    if isinstance(projection, Runtime):
        return for_runtime(projection, getattr(request.app.state, "sla_timer", None))
    if isinstance(projection, InProcessProjection):
        return projection.operations()
    raise ApiError(503, "store_unavailable", "this projection offers no operations")


async def _acting(work: Any) -> dict[str, Any]:
    try:
        projection = await work
    except Refused as refused:
        raise ApiError(refused.status, refused.code, refused.message, **refused.extra) from None
    return {"success": True, "projection": projection}


ERRORS = {
    401: {"missing_token": "missing bearer token"},
    403: {"forbidden": "this is for admins only"},
}
router = APIRouter(prefix=PREFIX, tags=["admin"], dependencies=[Depends(_configured)])


@router.get(
    "/system",
    response_model=SystemView,
    summary="The relay, the consumer group, each projection (positions, lag, halts, rebuilds, skips) and the "
    "service-level timer",
    responses=documented(401, 403, 503, codes=ERRORS),
)
async def system(request: Request, actor: AdminActor) -> dict[str, Any]:
    return await operations_of(request).status()


@router.post(
    "/projections/{name}/retry",
    status_code=202,
    response_model=ProjectionAnswer,
    summary="Try the event the projection halted on again (after fixing its cause); it halts again if it fails",
    responses=documented(401, 403, 404, 409, 503, codes={**ERRORS, 409: {"not_halted": "not halted"}}),
)
async def retry(request: Request, name: str, actor: AdminActor) -> dict[str, Any]:
    return await _acting(operations_of(request, name).retry(actor.sub))


@router.post(
    "/projections/{name}/skip",
    response_model=ProjectionAnswer,
    summary="Skip the event the projection halted on, recorded with who and why; the projection goes on",
    responses=documented(
        401,
        403,
        404,
        409,
        422,
        503,
        codes={
            **ERRORS,
            409: {
                "not_halted": "not halted",
                "position_mismatch": "halted elsewhere: reload",
                "rebuild_running": "a rebuild is running",
            },
            422: {"validation_error": "reason: too short"},
        },
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SkipRequest.model_json_schema()}},
        }
    },
)
async def skip(request: Request, name: str, actor: AdminActor) -> dict[str, Any]:
    _known(name)
    body = await _skip_request(request)
    return await _acting(operations_of(request).skip(body.position, body.reason, actor.sub))


@router.post(
    "/projections/{name}/rebuild",
    status_code=202,
    response_model=ProjectionAnswer,
    summary="Rebuild the projection from the event store in the background; its progress shows in the status",
    responses=documented(401, 403, 404, 409, 503, codes={**ERRORS, 409: {"rebuild_running": "already running"}}),
)
async def rebuild(request: Request, name: str, actor: AdminActor) -> dict[str, Any]:
    return await _acting(operations_of(request, name).rebuild(actor.sub))


async def _skip_request(request: Request) -> SkipRequest:
    try:
        return SkipRequest.model_validate(orjson.loads(await request.body()))
    except orjson.JSONDecodeError:
        raise ApiError(422, "validation_error", "the body must be a JSON object with position and reason") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        raise ApiError(422, "validation_error", f"{field}: {first['msg']}" if field else first["msg"], field) from None


def install(app: FastAPI, verifier: TokenVerifier | None) -> None:
    """The admin routes; ``verifier`` checks their tokens (None: the app's own, e.g. the embedded app's)."""
    if verifier is not None:
        use_verifier(app, verifier)
    app.include_router(router)
