"""Personal data routes (admin only): export everything held about a data subject, and erase it.

(No ``from __future__ import annotations``: FastAPI reads the body model from the signature.)
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from ticket_privacy import SealingStore
from ticket_service.errors import ApiError, documented
from ticket_service.security import AdminActor
from ticket_workflow.data import SHORT_TEXT, Text

from .erasure import Erasures
from .handling import RequestContext
from .runtime import runtime_of

Subject = Annotated[Text, Path(min_length=1, max_length=SHORT_TEXT, description="The data subject's user id (sub).")]
ERRORS: dict[int, dict[str, str]] = {
    400: {"malformed_json": "request body is not valid JSON: JSON decode error"},
    401: {"missing_token": "missing Authorization header (expected: Bearer <token>)"},
    403: {"forbidden": "only the admin role may do this"},
    422: {"invalid_request": "reason: String should have at least 3 characters"},
    413: {"body_too_large": "request body exceeds 65536 bytes"},
    503: {"store_unavailable": "personal data is not sealed by this deployment's store"},
}


class EraseRequest(BaseModel):
    """Body of ``POST /api/privacy/subjects/{subject}/erase``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Text = Field(min_length=3, max_length=500, description="Why the data is erased (kept in the record).")


class ErasureAnswer(BaseModel):
    success: bool = True
    subject: str
    erased_at: str = Field(description="When the erasure was recorded (the first one, when erased before).")
    erased_by: str = Field(description="The admin who asked (sub).")
    tickets: int = Field(description="How many of the subject's tickets were erased.")
    position: int | None = Field(description="Position of the PersonalDataErased event (read-your-writes).")


class ExportAnswer(BaseModel):
    success: bool = True
    subject: str
    exported_at: str
    tickets: list[dict[str, Any]] = Field(description="The subject's tickets, as their events leave them.")
    events: list[dict[str, Any]] = Field(description="Every event of those tickets, personal values opened.")
    erasures: list[dict[str, Any]] = Field(description="The PersonalDataErased events recorded for the subject.")
    erased: bool = Field(description="Some of the subject's data was erased (reads as `[erased]`).")


def privacy_router() -> APIRouter:
    router = APIRouter(prefix="/api/privacy", tags=["privacy"])
    router.add_api_route(
        "/subjects/{subject}/export",
        export_subject,
        methods=["GET"],
        response_model=ExportAnswer,
        responses=documented(401, 403, 422, 503, codes=ERRORS),
        summary="Everything held about a data subject, personal values opened (admin)",
    )
    router.add_api_route(
        "/subjects/{subject}/erase",
        erase_subject,
        methods=["POST"],
        response_model=ErasureAnswer,
        responses=documented(400, 401, 403, 413, 422, 503, codes=ERRORS),
        summary="Erase a data subject's personal data by destroying their key (admin, idempotent)",
    )
    return router


def _erasures(request: Request) -> Erasures:
    service = runtime_of(request).commands()
    if not isinstance(service.store, SealingStore):
        raise ApiError(503, "store_unavailable", "personal data is not sealed by this deployment's store")
    return Erasures(service.store, service.tickets)


async def export_subject(request: Request, subject: Subject, actor: AdminActor) -> dict[str, Any]:
    return await _erasures(request).export(subject)


async def erase_subject(
    request: Request, subject: Subject, body: Annotated[EraseRequest, Body()], actor: AdminActor
) -> dict[str, Any]:
    request_id = getattr(request.state, "request_id", None) or str(uuid.uuid4())
    return await _erasures(request).erase(subject, body.reason, RequestContext(actor, request_id))


__all__ = ["privacy_router"]
