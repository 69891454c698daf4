"""What the query API answers: tickets as the caller sees them, audit-trail entries, pages.

The models define the contract (and the OpenAPI document); :mod:`ticket_query.rendering` writes the same JSON
for the hot routes straight from stored rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ticket_readmodel.projection import HistoryEntry
from ticket_workflow import Actor, TicketState, seed_view


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
