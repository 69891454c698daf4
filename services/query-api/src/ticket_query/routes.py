"""The query routes, as a router any app can mount with its own read model (Postgres, or SQLite when embedded).

Thin handlers: authenticate, wait for the requested position (read-your-writes), ask the read model, shape the
answer. Customers see only tickets they requested; any other ticket is a 404, exactly as if it did not exist.
The hot routes answer with JSON written from the stored rows (:mod:`ticket_query.rendering`), without a second
validation of the response; they keep their ``response_model``, so the OpenAPI document says the same.
(No ``from __future__ import annotations`` here: FastAPI resolves the dependency aliases defined in the factory.)
"""

from collections.abc import Callable
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import Response
from pydantic import BeforeValidator
from sse_starlette import EventSourceResponse

from ticket_readmodel.read_model import (
    SORTS,
    InvalidCursor,
    ReadModel,
    Sort,
    Stats,
    TicketQuery,
    TicketRow,
    UnknownTimeZone,
)
from ticket_service.auth import AuthError, TokenVerifier, Verified, bearer_token
from ticket_service.errors import ApiError, documented
from ticket_workflow import SUPPORT_TICKET, Actor, describe, fold, is_staff
from ticket_workflow.data import PRIORITIES
from ticket_workflow.visibility import sees_everything

from .checkpoints import CheckpointWatch
from .freshness import MIN_POSITION_HEADER, wait_for_position
from .live import ChangeFeed, resume_position, ticket_changes
from .rendering import Renderings, json_response, may_see
from .shortcuts import Shortcut, list_arguments, plain_query, shortcut_route, waits
from .views import PeopleList, TicketEvents, TicketList, TicketView, event_views, ticket_view

ReadModelSource = ReadModel | Callable[[], ReadModel]
PLACES: dict[str, Any] = {"enum": list(SUPPORT_TICKET.place_names)}
LEVELS: dict[str, Any] = {"enum": list(PRIORITIES)}
STAFF_ROLES = ("agent", "supervisor", "admin")
TEXT_SEARCH = (
    "Case-insensitive substring of the ticket number (an id prefix, with or without a leading `#`), requester, "
    "assignee, subject, description or the public conversation; for staff, of the internal notes too."
)


ERROR_DESCRIPTIONS = {
    403: "Staff only (agent, supervisor, admin)",
    404: "Unknown ticket, or one this customer did not request (the same answer); or no such version",
    422: "Invalid parameter (`field` names it): filter, sort, limit, cursor, role, tz, min_position",
    503: "`projection_behind`: the read model has not reached `min_position` within the bound (with "
    "`projected_position`, `requested_position`, `behind` and `Retry-After`); or the read model is unreachable",
}


def _digits(value: Any) -> Any:
    """A count or position as a query parameter or header: plain ASCII digits only (pydantic alone would take
    ``0.0`` or ``+1``, which the document's ``integer`` does not describe)."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written in digits")
    return value


DIGITS = BeforeValidator(_digits)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of the error responses of a query route (the shared error shape)."""
    responses = documented(*statuses)
    for status, description in ERROR_DESCRIPTIONS.items():
        if status in responses:
            responses[status]["description"] = description
    return responses


def create_router(
    read_model: ReadModelSource,
    verifier: TokenVerifier,
    *,
    watch: CheckpointWatch | None = None,
    min_position_timeout: float = 2.0,
    stream_poll_seconds: float = 0.25,
    stream_keepalive_seconds: float = 15.0,
) -> APIRouter:
    """The query API's routes. ``read_model`` is the read model or a function returning it (set at startup).

    ``watch`` is the process's checkpoint, fed by a listener or an in-process projector; without one, waits
    read the checkpoint every ``stream_poll_seconds``.
    """

    def model() -> ReadModel:
        return read_model() if callable(read_model) else read_model

    async def read_checkpoint() -> int:
        return await model().checkpoint()

    checkpoint = watch or CheckpointWatch(read_checkpoint, poll_seconds=stream_poll_seconds)
    feed = ChangeFeed(model)
    renderings = Renderings()

    MinPosition = Annotated[
        int | None,
        Query(ge=0, description="Read-your-writes: wait until this global position is projected."),
        DIGITS,
    ]
    MinPositionHeader = Annotated[int | None, Header(alias=MIN_POSITION_HEADER, ge=0), DIGITS]

    async def fresh_enough(min_position: MinPosition = None, x_min_position: MinPositionHeader = None) -> None:
        requested = max(min_position or 0, x_min_position or 0)
        if requested:
            await wait_for_position(checkpoint, requested, min_position_timeout)

    # Authentication comes before the wait: an anonymous caller gets 401 at once, and learns no positions.
    async def caller(
        authorization: Annotated[str | None, Header()] = None,
        min_position: MinPosition = None,
        x_min_position: MinPositionHeader = None,
    ) -> Actor:
        actor = await verifier.verify_async(bearer_token(authorization))
        await fresh_enough(min_position, x_min_position)
        return actor

    async def stream_caller(
        authorization: Annotated[str | None, Header()] = None,
        access_token: Annotated[str | None, Query(description="For EventSource, which cannot send headers.")] = None,
        min_position: MinPosition = None,
        x_min_position: MinPositionHeader = None,
    ) -> Verified:
        if authorization:
            verified = await verifier.check_async(bearer_token(authorization))
        elif access_token:
            verified = await verifier.check_async(access_token)
        else:
            raise AuthError("missing token: send Authorization: Bearer <token> or ?access_token=", code="missing_token")
        await fresh_enough(min_position, x_min_position)
        return verified

    Caller = Annotated[Actor, Depends(caller)]
    # The zones this machine's time-zone database knows: the values of `tz` the stats accept.
    zones: dict[str, Any] = {"enum": sorted(available_timezones() | {"UTC"})}
    TicketId = Annotated[str, Path(description="The ticket's aggregate id.")]
    shortcuts: dict[Callable[..., Any], Shortcut] = {}
    router = APIRouter(prefix="/api", tags=["query"], route_class=shortcut_route(shortcuts))

    async def visible_ticket(ticket_id: str, actor: Actor) -> TicketRow:
        row = await model().ticket_row(ticket_id)
        if row is None or not may_see(row, actor):
            raise ApiError(404, "ticket_not_found", f"ticket {ticket_id!r} not found")
        return row

    @router.get("/support-ticket/{ticket_id}", response_model=TicketView, responses=errors(401, 404, 422, 503))
    async def get_ticket(ticket_id: TicketId, actor: Caller) -> Response:
        return json_response(renderings.ticket(await visible_ticket(ticket_id, actor), actor))

    async def get_ticket_shortcut(request: Request) -> Response | None:
        if waits(request) or plain_query(request, frozenset()) != {}:
            return None
        actor = await verifier.verify_async(bearer_token(request.headers.get("authorization")))
        return await get_ticket(request.path_params["ticket_id"], actor)

    shortcuts[get_ticket] = get_ticket_shortcut

    @router.get("/support-ticket", response_model=TicketList, responses=errors(401, 422, 503))
    async def list_tickets(
        actor: Caller,
        # The values are checked below (the shortcut takes the same path); the document lists them.
        place: Annotated[str | None, Query(description="One of the net's places.", json_schema_extra=PLACES)] = None,
        assignee: Annotated[str | None, Query(description="User id, or `me` for the caller.")] = None,
        requester: str | None = None,
        priority: Annotated[str | None, Query(description=", ".join(PRIORITIES), json_schema_extra=LEVELS)] = None,
        q: Annotated[str | None, Query(max_length=200, description=TEXT_SEARCH)] = None,
        sort: Annotated[Sort, Query(description=", ".join(SORTS))] = "-created",
        limit: Annotated[int, Query(ge=1, le=100), DIGITS] = 25,
        cursor: str | None = None,
    ) -> Response:
        if place is not None and place not in SUPPORT_TICKET.place_names:
            raise ApiError(
                422, "invalid_request", f"place: must be one of {', '.join(SUPPORT_TICKET.place_names)}", "place"
            )
        if priority is not None and priority not in PRIORITIES:
            raise ApiError(422, "invalid_request", f"priority: must be one of {', '.join(PRIORITIES)}", "priority")
        if assignee == "me":
            assignee = actor.sub
        if not is_staff(SUPPORT_TICKET, actor.roles):
            if requester not in (None, actor.sub):
                return json_response(renderings.page([], None, actor))
            requester = actor.sub
        query = TicketQuery(
            place=place,
            assignee=assignee,
            requester=requester,
            priority=priority,
            text=q,
            include_notes=sees_everything(actor.roles),
            sort=sort,
            limit=limit,
            cursor=cursor,
        )
        held, known = renderings.holder()
        try:
            page = await model().list_ticket_rows(query, known=known)
        except InvalidCursor as exc:
            raise ApiError(422, "invalid_cursor", str(exc), "cursor") from None
        return json_response(renderings.page(page.items, page.next_cursor, actor, held))

    async def list_tickets_shortcut(request: Request) -> Response | None:
        arguments = list_arguments(request)
        if arguments is None:
            return None
        actor = await verifier.verify_async(bearer_token(request.headers.get("authorization")))
        return await list_tickets(actor, **arguments)

    shortcuts[list_tickets] = list_tickets_shortcut

    @router.get("/support-ticket/{ticket_id}/events", response_model=TicketEvents, responses=errors(401, 404, 422, 503))
    async def ticket_events(ticket_id: TicketId, actor: Caller) -> TicketEvents:
        await visible_ticket(ticket_id, actor)
        history = await model().history(ticket_id)
        return TicketEvents(aggregate_id=ticket_id, events=event_views(history, actor))

    @router.get(
        "/support-ticket/{ticket_id}/at/{version}", response_model=TicketView, responses=errors(401, 404, 422, 503)
    )
    async def ticket_at(
        ticket_id: TicketId,
        version: Annotated[int, Path(description="1 is the creation; the current version is the latest.")],
        actor: Caller,
    ) -> TicketView:
        current = (await visible_ticket(ticket_id, actor))["version"]
        if not 1 <= version <= current:
            raise ApiError(
                404,
                "version_not_found",
                f"ticket {ticket_id!r} has versions 1 to {current}; there is no version {version}",
                "version",
            )
        history = await model().history(ticket_id, up_to_version=version)
        state = fold(h.to_event() for h in history)
        if state is None or state.version != version:
            raise ApiError(404, "version_not_found", f"ticket {ticket_id!r} has no version {version}", "version")
        return ticket_view(state, actor)

    @router.get(
        "/schema",
        summary="The support-ticket Petri net: places, transitions, arcs, roles",
    )
    async def schema() -> dict[str, Any]:
        return describe(SUPPORT_TICKET)

    @router.get("/stats", response_model=Stats, responses=errors(401, 403, 422, 503))
    async def stats(
        actor: Caller,
        days: Annotated[int, Query(ge=1, le=366), DIGITS] = 30,
        tz: Annotated[
            str,
            Query(
                min_length=1,
                max_length=64,
                description="IANA time zone in which `per_day` counts days, such as Europe/Berlin.",
                json_schema_extra=zones,
            ),
        ] = "UTC",
    ) -> Stats:
        if not is_staff(SUPPORT_TICKET, actor.roles):
            raise ApiError(403, "forbidden", "stats are for agents, supervisors and admins")
        try:
            return await model().stats(days=days, tz=tz)
        except UnknownTimeZone:
            raise ApiError(422, "invalid_request", f"tz: unknown time zone {tz!r}; use an IANA name", "tz") from None

    @router.get(
        "/people",
        response_model=PeopleList,
        summary="The staff directory, read from the events (at most 200 people, sorted by id)",
        responses=errors(401, 403, 422, 503),
    )
    async def people(
        actor: Caller,
        role: Annotated[
            str | None,
            Query(
                description="Only people holding this role, inherited ones included (an admin is a supervisor).",
                json_schema_extra={"enum": list(STAFF_ROLES)},
            ),
        ] = None,
        q: Annotated[str | None, Query(max_length=200, description="Prefix of the user id, any case.")] = None,
    ) -> PeopleList:
        if not is_staff(SUPPORT_TICKET, actor.roles):
            raise ApiError(403, "forbidden", "the people directory is for agents, supervisors and admins")
        if role is not None and role not in STAFF_ROLES:
            raise ApiError(422, "invalid_request", f"role: must be one of {', '.join(STAFF_ROLES)}", "role")
        found = await model().people(role=role, prefix=q or None)
        return PeopleList(items=found)

    @router.get(
        "/stream",
        summary="Ticket changes as Server-Sent Events (event: ticket, id: global position)",
        responses=errors(401, 422, 503),
    )
    async def stream(
        caller: Annotated[Verified, Depends(stream_caller)],
        last_event_id: Annotated[
            str | None, Header(alias="Last-Event-ID", description="Resume after this position: 1 to 18 ASCII digits.")
        ] = None,
    ) -> EventSourceResponse:
        after = resume_position(last_event_id)
        if after is None:
            after = await checkpoint.current()
        # The stream ends when the token does: a client reconnects with a fresh one and its Last-Event-ID.
        changes = ticket_changes(feed, checkpoint, caller.actor, after, until=caller.valid_until)
        # Comment lines every ``stream_keepalive_seconds`` keep proxies from closing an idle stream.
        return EventSourceResponse(changes, ping=stream_keepalive_seconds)

    return router
