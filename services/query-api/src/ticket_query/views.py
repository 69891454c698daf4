"""What the query API answers: tickets as the caller sees them, audit-trail entries, pages.

The models define the contract (and the OpenAPI document). The hot routes build the same JSON straight from a
stored row (:func:`ticket_document`, :func:`encoded`): equal bytes, without a :class:`TicketState`, a
:class:`TicketView` and a validation of each.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ticket_readmodel.projection import HistoryEntry
from ticket_readmodel.read_model import TicketRow
from ticket_workflow import Actor, TicketState, may_view, seed_view


class MessageView(BaseModel):
    author: str
    kind: str
    body: str
    at: datetime


class TicketView(BaseModel):
    aggregate_id: str
    version: int
    place: str
    state: dict[str, int] = Field(description="Tokens in each of the net's places.")
    enabled_transitions: list[str] = Field(description="Transitions the net enables now, for anyone.")
    available_transitions: list[str] = Field(description="Transitions this caller may fire now.")
    subject: str
    description: str
    priority: str
    requester: str
    assignee: str | None
    messages: list[MessageView]
    message_count: int
    reopen_count: int
    escalation_reason: str | None
    resolution: str | None
    created_at: datetime | None
    updated_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None


class TicketList(BaseModel):
    items: list[TicketView]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class EventView(BaseModel):
    id: str
    type: str
    transition: str | None
    version: int
    position: int
    timestamp: datetime
    actor: str
    roles: list[str]
    data: dict[str, Any]


class TicketEvents(BaseModel):
    aggregate_id: str
    events: list[EventView]


def ticket_view(state: TicketState, actor: Actor) -> TicketView:
    return TicketView(
        **seed_view(state, actor),
        subject=state.subject,
        description=state.description,
        priority=state.priority,
        requester=state.requester,
        assignee=state.assignee,
        messages=[MessageView(author=m.author, kind=m.kind, body=m.body, at=m.at) for m in state.messages],
        message_count=len(state.messages),
        reopen_count=state.reopen_count,
        escalation_reason=state.escalation_reason,
        resolution=state.resolution,
        created_at=state.created_at,
        updated_at=state.updated_at,
        first_response_at=state.first_response_at,
        resolved_at=state.resolved_at,
        closed_at=state.closed_at,
    )


def event_view(entry: HistoryEntry) -> EventView:
    return EventView(
        id=entry.event_id,
        type=entry.type,
        transition=entry.transition,
        version=entry.version,
        position=entry.position,
        timestamp=entry.occurred_at,
        actor=entry.actor,
        roles=list(entry.roles),
        data=entry.data,
    )


class NetView(NamedTuple):
    """The parts of a view that follow from the marking and who asks; shared between documents, never mutated."""

    visible: bool
    place: str
    state: dict[str, int]
    enabled_transitions: list[str]
    available_transitions: list[str]


@lru_cache(maxsize=4096)
def net_view(marking: tuple[tuple[str, int], ...], roles: frozenset[str], own: bool) -> NetView:
    """The workflow's answer for a marking, for a caller with ``roles`` who requested the ticket (``own``) or not.

    Computed by the workflow itself on a stand-in ticket, so every rule stays in one place; a handful of
    markings and role sets exist, so this is a lookup on nearly every request.
    """
    caller = Actor(sub="caller", roles=roles)
    state = TicketState(id="", marking=dict(marking), requester="caller" if own else "")
    view = seed_view(state, caller)
    return NetView(
        may_view(state, caller),
        view["place"],
        view["state"],
        view["enabled_transitions"],
        view["available_transitions"],
    )


def _net_view_of(row: TicketRow, actor: Actor) -> NetView:
    return net_view(tuple(row["marking"].items()), actor.roles, row["requester"] == actor.sub)


def may_see(row: TicketRow, actor: Actor) -> bool:
    return _net_view_of(row, actor).visible


def ticket_document(row: TicketRow, actor: Actor) -> dict[str, Any]:
    """``ticket_view(ticket_of(row), actor)`` as plain data, in the same field order (see :func:`encoded`)."""
    net = _net_view_of(row, actor)
    # Rebuilt, not passed through: jsonb returns an object's keys in its own order, the view has a fixed one.
    messages = [{"author": m["author"], "kind": m["kind"], "body": m["body"], "at": m["at"]} for m in row["messages"]]
    return {
        "aggregate_id": row["id"],
        "version": row["version"],
        "place": net.place,
        "state": net.state,
        "enabled_transitions": net.enabled_transitions,
        "available_transitions": net.available_transitions,
        "subject": row["subject"],
        "description": row["description"],
        "priority": row["priority"],
        "requester": row["requester"],
        "assignee": row["assignee"],
        "messages": messages,
        "message_count": len(messages),
        "reopen_count": row["reopen_count"],
        "escalation_reason": row["escalation_reason"],
        "resolution": row["resolution"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "first_response_at": row["first_response_at"],
        "resolved_at": row["resolved_at"],
        "closed_at": row["closed_at"],
    }


def encoded(document: Any) -> Response:
    """A JSON response byte for byte as FastAPI sends a ``response_model`` (compact, times as pydantic writes them:
    UTC as ``Z``). Message times are already the text pydantic wrote when the projector stored them."""
    return Response(orjson.dumps(document, option=orjson.OPT_UTC_Z), media_type="application/json")
