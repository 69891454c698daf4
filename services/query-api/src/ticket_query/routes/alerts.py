"""Service-level alerts the timer raised (warnings and breaches), for staff: ``GET /api/sla/alerts?after=``.

The same alerts the projector publishes on the alerts stream, read from the read model, so that the embedded
mode (no Redis) has them too. Page with ``after`` = the ``next`` of the previous answer."""

from typing import Annotated

from fastapi import Query
from fastapi.routing import APIRouter
from pydantic import BaseModel, Field

from ticket_readmodel.alert_logs import alert_log_of
from ticket_readmodel.alerts import SlaAlert
from ticket_service.errors import ApiError
from ticket_workflow import SUPPORT_TICKET, is_staff

from ..dependencies import DIGITS, Caller, Model
from .common import PREFIX, TAGS, errors

router = APIRouter(prefix=PREFIX, tags=TAGS)


class SlaAlertList(BaseModel):
    success: bool = True
    alerts: list[SlaAlert] = Field(description="In the order they were raised.")
    next: int = Field(description="`after` for the next page: the last alert's `seq`, or the `after` given.")


@router.get(
    "/sla/alerts",
    response_model=SlaAlertList,
    summary="Service-level warnings and breaches raised, oldest first (staff only)",
    responses=errors(401, 403, 422, 503),
)
async def sla_alerts(
    actor: Caller,
    model: Model,
    after: Annotated[int, Query(ge=0, description="Only alerts with a greater `seq`."), DIGITS] = 0,
    limit: Annotated[int, Query(ge=1, le=500), DIGITS] = 100,
) -> SlaAlertList:
    if not is_staff(SUPPORT_TICKET, actor.roles):
        raise ApiError(403, "forbidden", "service-level alerts are for agents, supervisors and admins")
    alerts = alert_log_of(model)
    found = await alerts.alerts(after, limit) if alerts is not None else []
    items = [SlaAlert.model_validate(alert.as_json()) for alert in found]
    return SlaAlertList(alerts=items, next=found[-1].seq if found else after)
