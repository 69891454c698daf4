"""The net's schema (public), and for staff only: stats and the staff directory."""

from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Query

from ticket_readmodel.read_model import InvalidCursor, Stats, UnknownTimeZone, people_after, people_cursor
from ticket_service.errors import ApiError
from ticket_workflow import SUPPORT_TICKET, describe, is_staff, staff_roles

from ..dependencies import DIGITS, Caller, Model
from ..views import PeopleList
from .common import PREFIX, TAGS, errors

# The net's staff roles, in its order (agent, supervisor, admin): the values of `role` the directory accepts.
STAFF_ROLES = tuple(role.name for role in SUPPORT_TICKET.roles if role.name in staff_roles(SUPPORT_TICKET))
# The zones this machine's time-zone database knows: the values of `tz` the stats accept.
ZONES: dict[str, Any] = {"enum": sorted(available_timezones() | {"UTC"})}

router = APIRouter(prefix=PREFIX, tags=TAGS)


@router.get("/schema", summary="The support-ticket Petri net: places, transitions, arcs, roles")
async def schema() -> dict[str, Any]:
    return describe(SUPPORT_TICKET)


@router.get("/stats", response_model=Stats, responses=errors(401, 403, 422, 503))
async def stats(
    actor: Caller,
    model: Model,
    days: Annotated[int, Query(ge=1, le=366), DIGITS] = 30,
    tz: Annotated[
        str,
        Query(
            min_length=1,
            max_length=64,
            description="IANA time zone in which `per_day` counts days, such as Europe/Berlin.",
            json_schema_extra=ZONES,
        ),
    ] = "UTC",
) -> Stats:
    if not is_staff(SUPPORT_TICKET, actor.roles):
        raise ApiError(403, "forbidden", "stats are for agents, supervisors and admins")
    try:
        return await model.stats(days=days, tz=tz)
    except UnknownTimeZone:
        raise ApiError(422, "invalid_request", f"tz: unknown time zone {tz!r}; use an IANA name", "tz") from None


@router.get(
    "/people",
    response_model=PeopleList,
    summary="The staff directory, read from the events, sorted by id, in cursor pages",
    responses=errors(401, 403, 422, 503),
)
async def people(
    actor: Caller,
    model: Model,
    role: Annotated[
        str | None,
        Query(
            description="Only people holding this role, inherited ones included (an admin is a supervisor).",
            json_schema_extra={"enum": list(STAFF_ROLES)},
        ),
    ] = None,
    q: Annotated[str | None, Query(max_length=200, description="Prefix of the user id, any case.")] = None,
    limit: Annotated[int, Query(ge=1, le=200), DIGITS] = 50,
    cursor: Annotated[str | None, Query(description="The `next_cursor` of the previous page.")] = None,
) -> PeopleList:
    if not is_staff(SUPPORT_TICKET, actor.roles):
        raise ApiError(403, "forbidden", "the people directory is for agents, supervisors and admins")
    if role is not None and role not in STAFF_ROLES:
        raise ApiError(422, "invalid_request", f"role: must be one of {', '.join(STAFF_ROLES)}", "role")
    try:
        after = people_after(cursor)
    except InvalidCursor as exc:
        raise ApiError(422, "invalid_cursor", str(exc), "cursor") from None
    found = await model.people(role=role, prefix=q or None, after=after, limit=limit + 1)
    page = found[:limit]
    return PeopleList(items=page, next_cursor=people_cursor(page[-1]) if len(found) > limit else None)
