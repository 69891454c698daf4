"""What the query API answers: tickets as the caller sees them, audit-trail entries, pages, people.

The models define the contract (and the OpenAPI document); :mod:`ticket_query.rendering` writes the same JSON
for the hot routes straight from stored rows. What a customer may read is decided by
:mod:`ticket_workflow.visibility` alone: :func:`ticket_view` and :func:`event_views` ask it for every caller who
is not staff.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ticket_readmodel.projection import HistoryEntry
from ticket_readmodel.read_model import Person
from ticket_workflow import Actor, Message, TicketState, seed_view
from ticket_workflow.visibility import sees_everything, visible_event_data, visible_ticket


class MessageView(BaseModel):
    author: str
    kind: str = Field(
        description="In `messages`: reply, request_info, customer_reply, resolution, reopen. In `notes`: note, "
        "escalation (the escalation reason), or the transition whose note it is."
    )
    body: str
    at: datetime
    staff: bool = Field(description="Written by staff (an agent or a role inheriting it).")


class ClockView(BaseModel):
    due_at: datetime | None = Field(description="When the target is used up; null while paused.")
    warning_at: datetime | None
    status: Literal["ok", "warning", "breached", "met", "paused"]
    met_at: datetime | None = Field(description="When the clock stopped (first response, resolution).")
    elapsed_seconds: float = Field(description="Time counted so far (working time under a business-hours calendar).")
    target_seconds: int


class SlaView(BaseModel):
    first_response: ClockView | None
    resolution: ClockView | None
    status: Literal["ok", "warning", "breached", "met"] = Field(description="The worse clock; met when both are.")


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
    messages: list[MessageView] = Field(description="The public conversation, oldest first.")
    message_count: int
    notes: list[MessageView] = Field(
        description="Staff only: internal notes, escalation reasons and the notes of transitions, oldest first. "
        "Always empty for a customer."
    )
    reopen_count: int
    escalation_reason: str | None = Field(description="Staff only: null for a customer.")
    resolution: str | None
    created_at: datetime | None
    updated_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    sla: SlaView | None = Field(
        None,
        description="Service levels as of the read (at a past version: as of that version's time); staff only "
        "(null for a customer, and without a policy).",
    )


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


class PeopleList(BaseModel):
    items: list[Person] = Field(description="Sorted by id (code point order).")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


def ticket_view(state: TicketState, actor: Actor) -> TicketView:
    """The ticket as ``actor`` may read it: staff-only fields emptied for anyone who is not staff."""
    fields: dict[str, Any] = {
        **seed_view(state, actor),
        "subject": state.subject,
        "description": state.description,
        "priority": state.priority,
        "requester": state.requester,
        "assignee": state.assignee,
        "messages": [_message(m) for m in state.messages],
        "message_count": len(state.messages),
        "notes": [_message(m) for m in state.notes],
        "reopen_count": state.reopen_count,
        "escalation_reason": state.escalation_reason,
        "resolution": state.resolution,
        "created_at": state.created_at,
        "updated_at": state.updated_at,
        "first_response_at": state.first_response_at,
        "resolved_at": state.resolved_at,
        "closed_at": state.closed_at,
    }
    if not sees_everything(actor.roles):
        fields = visible_ticket(fields)
    return TicketView(**fields)


def event_views(history: list[HistoryEntry], actor: Actor) -> list[EventView]:
    """The audit trail as ``actor`` may read it: for anyone who is not staff, staff-only events are left out
    and staff-only keys removed from the data of the others."""
    everything = sees_everything(actor.roles)
    views = []
    for entry in history:
        data = entry.data if everything else visible_event_data(entry.type, entry.data)
        if data is not None:
            views.append(event_view(entry, data))
    return views


def event_view(entry: HistoryEntry, data: dict[str, Any]) -> EventView:
    """One entry of the audit trail with ``data`` (the entry's own, or what a customer may read of it)."""
    return EventView(
        id=entry.event_id,
        type=entry.type,
        transition=entry.transition,
        version=entry.version,
        position=entry.position,
        timestamp=entry.occurred_at,
        actor=entry.actor,
        roles=list(entry.roles),
        data=data,
    )


def _message(message: Message) -> MessageView:
    return MessageView(author=message.author, kind=message.kind, body=message.body, at=message.at, staff=message.staff)
