"""Live updates: ticket changes as Server-Sent Events, resumable by global position (:mod:`ticket_query.live`)."""

from typing import Annotated

from fastapi import APIRouter, Header
from sse_starlette import EventSourceResponse

from ..dependencies import QueryParts, StreamCaller
from ..live import resume_position, ticket_changes
from .common import PREFIX, TAGS, errors

router = APIRouter(prefix=PREFIX, tags=TAGS)


@router.get(
    "/stream",
    summary="Ticket changes as Server-Sent Events (event: ticket, id: global position)",
    responses=errors(401, 422, 503),
)
async def stream(
    caller: StreamCaller,
    parts: QueryParts,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", description="Resume after this position: 1 to 18 ASCII digits.")
    ] = None,
) -> EventSourceResponse:
    after = resume_position(last_event_id)
    if after is None:
        after = await parts.checkpoint.current()
    # The stream ends when the token does: a client reconnects with a fresh one and its Last-Event-ID.
    changes = ticket_changes(parts.feed, parts.checkpoint, caller.actor, after, until=caller.valid_until)
    # Comment lines every ``stream_keepalive_seconds`` keep proxies from closing an idle stream.
    return EventSourceResponse(changes, ping=parts.stream_keepalive_seconds)
