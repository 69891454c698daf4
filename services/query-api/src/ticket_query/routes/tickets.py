"""The hot reads: a ticket, and the list of tickets with filters, sorts and cursor pages.

Both answer with JSON written from the stored rows (:mod:`ticket_query.rendering`), without a second validation of
the response; they keep their ``response_model``, so the OpenAPI document says the same. A plain request takes
the route's shortcut (:mod:`ticket_query.shortcuts`): the same endpoint, called without FastAPI's parameter solving.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ticket_readmodel.read_model import SORTS, InvalidCursor, Sort, TicketQuery
from ticket_service.errors import ApiError
from ticket_service.security import authenticate
from ticket_workflow import SUPPORT_TICKET, is_staff
from ticket_workflow.data import PRIORITIES
from ticket_workflow.visibility import sees_everything

from ..dependencies import DIGITS, Caller, QueryParts, parts_of
from ..rendering import json_response
from ..shortcuts import Shortcut, list_arguments, plain_query, shortcut_route, waits
from ..views import TicketList, TicketView
from .common import PREFIX, TAGS, TicketId, errors, visible_ticket

PLACES: dict[str, Any] = {"enum": list(SUPPORT_TICKET.place_names)}
LEVELS: dict[str, Any] = {"enum": list(PRIORITIES)}
SLA_STATUSES = ("ok", "warning", "breached", "met")
SLA_LEVELS: dict[str, Any] = {"enum": list(SLA_STATUSES)}
SLA_FILTER = "Staff only: the service-level status (the worse clock) now: ok, warning, breached, met."
SORT_ORDERS = ", ".join(SORTS) + " (`sla_due`: the nearest pending deadline first, none last; staff only)"
TEXT_SEARCH = (
    "Case-insensitive substring of the ticket number (an id prefix, with or without a leading `#`), requester, "
    "assignee, subject, description or the public conversation; for staff, of the internal notes too."
)

SHORTCUTS: dict[Callable[..., Any], Shortcut] = {}
router = APIRouter(prefix=PREFIX, tags=TAGS, route_class=shortcut_route(SHORTCUTS))


@router.get("/support-ticket/{ticket_id}", response_model=TicketView, responses=errors(401, 404, 422, 503))
async def get_ticket(ticket_id: TicketId, actor: Caller, parts: QueryParts) -> Response:
    row = await visible_ticket(parts.model(), ticket_id, actor)
    await parts.renderings.sla.prepare(parts.model(), (row,))
    return json_response(parts.renderings.ticket(row, actor))


async def get_ticket_shortcut(request: Request) -> Response | None:
    if waits(request) or plain_query(request, frozenset()) != {}:
        return None
    actor = await authenticate(request)
    return await get_ticket(request.path_params["ticket_id"], actor, parts_of(request))


SHORTCUTS[get_ticket] = get_ticket_shortcut


@router.get("/support-ticket", response_model=TicketList, responses=errors(401, 422, 503))
async def list_tickets(
    actor: Caller,
    parts: QueryParts,
    # The values are checked below (the shortcut takes the same path); the document lists them.
    place: Annotated[str | None, Query(description="One of the net's places.", json_schema_extra=PLACES)] = None,
    assignee: Annotated[str | None, Query(description="User id, or `me` for the caller.")] = None,
    requester: str | None = None,
    priority: Annotated[str | None, Query(description=", ".join(PRIORITIES), json_schema_extra=LEVELS)] = None,
    q: Annotated[str | None, Query(max_length=200, description=TEXT_SEARCH)] = None,
    sla: Annotated[str | None, Query(description=SLA_FILTER, json_schema_extra=SLA_LEVELS)] = None,
    sort: Annotated[Sort, Query(description=SORT_ORDERS)] = "-created",
    limit: Annotated[int, Query(ge=1, le=100), DIGITS] = 25,
    cursor: str | None = None,
) -> Response:
    if place is not None and place not in SUPPORT_TICKET.place_names:
        raise ApiError(
            422, "invalid_request", f"place: must be one of {', '.join(SUPPORT_TICKET.place_names)}", "place"
        )
    if priority is not None and priority not in PRIORITIES:
        raise ApiError(422, "invalid_request", f"priority: must be one of {', '.join(PRIORITIES)}", "priority")
    if sla is not None and sla not in SLA_STATUSES:
        raise ApiError(422, "invalid_request", f"sla: must be one of {', '.join(SLA_STATUSES)}", "sla")
    if (sla is not None or sort.endswith("sla_due")) and not is_staff(SUPPORT_TICKET, actor.roles):
        # The field is the parameter the caller sent: the filter when there is one, else the sort.
        field = "sla" if sla is not None else "sort"
        raise ApiError(403, "forbidden", f"{field}: service levels are for agents, supervisors and admins", field)
    if assignee == "me":
        assignee = actor.sub
    if not is_staff(SUPPORT_TICKET, actor.roles):
        if requester not in (None, actor.sub):
            return json_response(parts.renderings.page([], None, actor))
        requester = actor.sub
    query = TicketQuery(
        place=place,
        assignee=assignee,
        requester=requester,
        priority=priority,
        text=q,
        include_notes=sees_everything(actor.roles),
        sla=sla,
        as_of=datetime.now(UTC),
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    held, known = parts.renderings.holder()
    try:
        page = await parts.model().list_ticket_rows(query, known=known)
    except InvalidCursor as exc:
        raise ApiError(422, "invalid_cursor", str(exc), "cursor") from None
    await parts.renderings.sla.prepare(parts.model(), page.items)
    return json_response(parts.renderings.page(page.items, page.next_cursor, actor, held))


async def list_tickets_shortcut(request: Request) -> Response | None:
    arguments = list_arguments(request)
    if arguments is None:
        return None
    actor = await authenticate(request)
    return await list_tickets(actor, parts_of(request), **arguments)


SHORTCUTS[list_tickets] = list_tickets_shortcut
