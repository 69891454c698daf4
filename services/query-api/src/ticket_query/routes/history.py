"""The audit trail of a ticket, and time travel: the ticket as it was at any of its versions."""

from typing import Annotated

from fastapi import APIRouter, Path

from ticket_readmodel.service_levels import sla_at
from ticket_service.errors import ApiError
from ticket_workflow import fold
from ticket_workflow.visibility import sees_everything

from ..dependencies import Caller, Model
from ..views import SlaView, TicketEvents, TicketView, event_views, ticket_view
from .common import PREFIX, TAGS, TicketId, errors, visible_ticket

router = APIRouter(prefix=PREFIX, tags=TAGS)


@router.get("/support-ticket/{ticket_id}/events", response_model=TicketEvents, responses=errors(401, 404, 422, 503))
async def ticket_events(ticket_id: TicketId, actor: Caller, model: Model) -> TicketEvents:
    await visible_ticket(model, ticket_id, actor)
    history = await model.history(ticket_id)
    return TicketEvents(aggregate_id=ticket_id, events=event_views(history, actor))


@router.get("/support-ticket/{ticket_id}/at/{version}", response_model=TicketView, responses=errors(401, 404, 422, 503))
async def ticket_at(
    ticket_id: TicketId,
    version: Annotated[int, Path(description="1 is the creation; the current version is the latest.")],
    actor: Caller,
    model: Model,
) -> TicketView:
    current = (await visible_ticket(model, ticket_id, actor))["version"]
    if not 1 <= version <= current:
        raise ApiError(
            404,
            "version_not_found",
            f"ticket {ticket_id!r} has versions 1 to {current}; there is no version {version}",
            "version",
        )
    events = [h.to_event() for h in await model.history(ticket_id, up_to_version=version)]
    state = fold(events)
    if state is None or state.version != version:
        raise ApiError(404, "version_not_found", f"ticket {ticket_id!r} has no version {version}", "version")
    view = ticket_view(state, actor)
    if sees_everything(actor.roles):  # service levels: for staff only
        # The clocks as they stood at that version's time, under the policy the read model applied then.
        found = sla_at(events, await model.sla_policies(before=events[-1].position or 0))
        view.sla = SlaView.model_validate(found) if found is not None else None
    return view
