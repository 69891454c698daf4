"""The service-level policy (admin only): ``PUT /api/sla/policy`` records a ``ServiceLevelPolicySet`` event with the
whole policy on the system stream ``$sla-policy`` (:mod:`ticket_workflow.streams`); the projector applies it and
the query API serves it (``GET /api/sla/policy``). The rules the clocks follow: :mod:`ticket_workflow.sla`.

(No ``from __future__ import annotations``: FastAPI reads the body model from the signature.)
"""

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ticket_service import tracing
from ticket_service.errors import ApiError, documented
from ticket_service.security import AdminActor
from ticket_workflow import Event, EventMetadata, VersionConflict
from ticket_workflow.sla import Policy
from ticket_workflow.streams import SLA_POLICY_STREAM

from .runtime import runtime_of

POLICY_SET = "ServiceLevelPolicySet"
ERRORS: dict[int, dict[str, str]] = {
    400: {"malformed_json": "request body is not valid JSON: JSON decode error"},
    401: {"missing_token": "missing Authorization header (expected: Bearer <token>)"},
    403: {"forbidden": "only the admin role may do this"},
    409: {"version_conflict": "expected the policy at version 1, it is at 2; reload and retry"},
    422: {"invalid_request": "body.calendar.time_zone: unknown time zone 'Mars/Olympus'"},
    413: {"body_too_large": "request body exceeds 65536 bytes"},
    503: {"store_unavailable": "PostgreSQL unreachable: connection refused"},
}


class PolicyRequest(Policy):
    """The whole policy (what ``ServiceLevelPolicySet`` records), and the version the admin edited."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    expected_version: int | None = Field(
        None, ge=0, description="The policy version this edit is based on (0: none yet); 409 when it moved on."
    )


class PolicyAnswer(BaseModel):
    success: bool = True
    version: int = Field(description="The version just recorded (1 for the first policy).")
    policy: Policy
    position: int | None = Field(description="Global position of the event: pass it as min_position to read it.")


def sla_router() -> APIRouter:
    router = APIRouter(prefix="/api/sla", tags=["service levels"])
    router.add_api_route(
        "/policy",
        put_policy,
        methods=["PUT"],
        response_model=PolicyAnswer,
        responses=documented(*ERRORS, codes=ERRORS),
        summary="Set the service-level policy: targets per priority and business hours (admin)",
        description=f"Records a `{POLICY_SET}` event on `{SLA_POLICY_STREAM}`. Open tickets are measured under the "
        "latest policy from their creation on; a resolved ticket keeps the results it got.",
    )
    return router


async def put_policy(request: Request, body: PolicyRequest, actor: AdminActor) -> Response:
    store = runtime_of(request).commands().store
    current = await store.read_stream(SLA_POLICY_STREAM)
    version = current[-1].version if current else 0
    if body.expected_version is not None and body.expected_version != version:
        message = f"expected the policy at version {body.expected_version}, it is at {version}; reload and retry"
        raise ApiError(409, "version_conflict", message, "expected_version")
    policy = Policy.model_validate(body.model_dump(exclude={"expected_version"}))
    request_id = getattr(request.state, "request_id", None) or str(uuid.uuid4())
    event = Event(
        id=str(uuid.uuid4()),
        stream_id=SLA_POLICY_STREAM,
        type=POLICY_SET,
        version=version + 1,
        timestamp=datetime.now(UTC),
        data=policy.model_dump(mode="json"),
        metadata=EventMetadata(
            actor=actor.sub,
            roles=tuple(sorted(actor.roles)),
            correlation_id=request_id,
            causation_id=request_id,
            traceparent=tracing.traceparent(),
        ),
    )
    try:
        [stored] = await store.append(SLA_POLICY_STREAM, version, [event])
    except VersionConflict:  # another admin's edit was recorded first
        raise ApiError(409, "version_conflict", "the policy was changed at the same time; reload and retry") from None
    answer = {"success": True, "version": stored.version, "policy": event.data, "position": stored.position}
    return Response(PolicyAnswer.model_validate(answer).model_dump_json(), media_type="application/json")
