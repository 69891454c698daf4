"""The service-level policy as the projection keeps it (staff only): ``GET /api/sla/policy``."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ticket_service.errors import ApiError
from ticket_workflow import SUPPORT_TICKET, is_staff
from ticket_workflow.sla import Policy

from ..dependencies import Caller, Model
from .common import PREFIX, TAGS, errors

router = APIRouter(prefix=PREFIX, tags=TAGS)


class PolicyView(BaseModel):
    success: bool = True
    version: int = Field(description="0 before an admin set the first policy.")
    policy: Policy | None
    updated_at: datetime | None
    updated_by: str | None


@router.get(
    "/sla/policy",
    response_model=PolicyView,
    summary="The service-level policy in force: targets per priority, business hours (staff)",
    responses=errors(401, 403, 503),
)
async def sla_policy(actor: Caller, model: Model) -> dict[str, Any]:
    if not is_staff(SUPPORT_TICKET, actor.roles):
        raise ApiError(403, "forbidden", "the service-level policy is for agents, supervisors and admins")
    record = await model.sla_policy()
    if record is None:
        return {"success": True, "version": 0, "policy": None, "updated_at": None, "updated_by": None}
    return {
        "success": True,
        "version": record.version,
        "policy": record.policy,
        "updated_at": record.updated_at,
        "updated_by": record.updated_by,
    }
