"""The ticket aggregate: ``decide`` turns a command into events, ``evolve`` folds an event into state.

No clock and no I/O here: commands carry their time, the application layer stores the events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from . import net as petri
from .data import DATA_SCHEMAS, ConversationData, CreateTicketData
from .definition import CREATED, NOTE_ADDED, REPLY_ADDED, SUPPORT_TICKET, TRANSITION_BY_EVENT
from .events import Event, NewEvent
from .rejections import (
    InvalidData,
    NotEnabled,
    NotPermitted,
    TicketAlreadyExists,
    TicketClosed,
    TicketNotFound,
    VersionConflict,
)
from .roles import effective_roles, is_staff, may_fire

NET = SUPPORT_TICKET


@dataclass(frozen=True)
class Actor:
    """The authenticated caller: a user id and the roles its token grants."""

    sub: str
    roles: frozenset[str]


@dataclass(frozen=True)
class CreateTicket:
    ticket_id: str
    actor: Actor
    at: datetime
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FireTransition:
    ticket_id: str
    transition: str
    actor: Actor
    at: datetime
    data: Mapping[str, Any] | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class PostMessage:
    """Write in the ticket's conversation: a public reply, or an internal note (staff only)."""

    ticket_id: str
    actor: Actor
    at: datetime
    data: Mapping[str, Any] | None = None
    internal: bool = False
    expected_version: int | None = None


class Message(BaseModel):
    """One entry of the conversation (public) or of the internal notes (staff only)."""

    model_config = ConfigDict(frozen=True)

    author: str
    # What carried it: "reply" or "note" (conversation commands); "request_info", "customer_reply",
    # "resolution", "reopen" (the text of a transition); or, for notes, the transition whose note it is.
    kind: str
    body: str
    at: datetime
    staff: bool = False  # written by staff (agent or a role inheriting it)


class TicketState(BaseModel):
    """Everything the events of one ticket say about it, folded."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: int = 0
    marking: dict[str, int]
    subject: str = ""
    description: str = ""
    priority: str = "normal"
    requester: str = ""
    assignee: str | None = None
    messages: tuple[Message, ...] = ()  # the public conversation: everyone who may see the ticket reads it
    notes: tuple[Message, ...] = ()  # internal notes, escalation reasons, transition notes: staff only
    escalation_reason: str | None = None
    resolution: str | None = None
    reopen_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def place(self) -> str:
        """The marked place (this net always holds exactly one token)."""
        return ",".join(petri.marked_places(self.marking))

    @property
    def enabled_transitions(self) -> list[str]:
        return petri.enabled(NET, self.marking)

    @property
    def tokens(self) -> dict[str, int]:
        """Tokens in every place of the net, in the net's order (the specification's ``state``)."""
        return {place: self.marking.get(place, 0) for place in NET.place_names}


Command = CreateTicket | FireTransition | PostMessage


def decide(state: TicketState | None, command: Command) -> list[NewEvent]:
    """The events a command causes, or a :class:`~ticket_workflow.rejections.Rejection`."""
    if isinstance(command, CreateTicket):
        return _decide_create(state, command)
    if isinstance(command, PostMessage):
        return _decide_message(state, command)
    return _decide_fire(state, command)


def evolve(state: TicketState | None, event: Event) -> TicketState:
    """The state after ``event``. ``state`` is None before the creation event."""
    if event.type == CREATED:
        return _created(event)
    if state is None:
        raise ValueError(f"event {event.type!r} (version {event.version}) arrived before {CREATED!r}")
    if event.type in (REPLY_ADDED, NOTE_ADDED):
        return _conversation(state, event)
    transition = TRANSITION_BY_EVENT.get(event.type)
    if transition is None:
        raise ValueError(f"unknown event type {event.type!r}")
    updates: dict[str, Any] = {
        "version": event.version,
        "marking": petri.fire(NET, state.marking, transition),
        "updated_at": event.timestamp,
    }
    if state.first_response_at is None and transition not in ("customer_reply", "reopen"):
        updates["first_response_at"] = event.timestamp
    updates.update(_field_updates(state, transition, event))
    note = event.data.get("note")
    if note and _by_staff(event):
        notes = updates.get("notes", state.notes)
        updates["notes"] = (*notes, _message(event, transition, note))
    return state.model_copy(update=updates)


def fold(events: Iterable[Event]) -> TicketState | None:
    state: TicketState | None = None
    for event in events:
        state = evolve(state, event)
    return state


def available_transitions(state: TicketState, actor: Actor) -> list[str]:
    """What this caller may fire now: enabled, permitted for its roles, and on a ticket it may touch."""
    if not _may_touch(state, actor):
        return []
    return [t for t in state.enabled_transitions if may_fire(NET, actor.roles, t)]


def seed_view(state: TicketState, actor: Actor) -> dict[str, Any]:
    """The specification's answer for a ticket, plus the place and what this caller may fire now."""
    return {
        "aggregate_id": state.id,
        "version": state.version,
        "place": state.place,
        "state": state.tokens,
        "enabled_transitions": state.enabled_transitions,
        "available_transitions": available_transitions(state, actor),
    }


def may_view(state: TicketState, actor: Actor) -> bool:
    return _may_touch(state, actor)


def _may_touch(state: TicketState, actor: Actor) -> bool:
    return is_staff(NET, actor.roles) or state.requester == actor.sub


def _decide_create(state: TicketState | None, command: CreateTicket) -> list[NewEvent]:
    if state is not None:
        raise TicketAlreadyExists(f"ticket {command.ticket_id!r} already exists")
    data = _validate(CreateTicketData, command.data)
    staff = is_staff(NET, command.actor.roles)
    if data.requester is not None and data.requester != command.actor.sub and not staff:
        raise NotPermitted("only staff may file a ticket on behalf of another requester")
    payload = data.model_dump()
    payload["requester"] = data.requester or command.actor.sub
    return [NewEvent(type=CREATED, data=_stamp(command.ticket_id, command.at, payload))]


def _decide_fire(state: TicketState | None, command: FireTransition) -> list[NewEvent]:
    # Another customer's ticket is refused exactly like a missing one, before anything else is judged, so the
    # answer never tells a customer that a ticket id exists (the read side answers the same).
    if state is None or not _may_touch(state, command.actor):
        raise TicketNotFound(f"ticket {command.ticket_id!r} does not exist")
    transition = NET.transition(command.transition)
    if not may_fire(NET, command.actor.roles, transition.name):
        held = ", ".join(sorted(effective_roles(NET, command.actor.roles))) or "none"
        raise NotPermitted(f"roles [{held}] may not fire {transition.name!r}")
    data = _validate(DATA_SCHEMAS[transition.name], command.data)
    if command.expected_version is not None and command.expected_version != state.version:
        raise VersionConflict(command.expected_version, state.version)
    if not petri.is_enabled(NET, state.marking, transition.name):
        raise NotEnabled(transition.name, state.place)
    payload = data.model_dump(exclude_none=True)
    if transition.name == "assign":
        payload.setdefault("assignee", command.actor.sub)
    return [NewEvent(type=transition.event_type, data=_stamp(state.id, command.at, payload))]


def _decide_message(state: TicketState | None, command: PostMessage) -> list[NewEvent]:
    if state is None or not _may_touch(state, command.actor):
        raise TicketNotFound(f"ticket {command.ticket_id!r} does not exist")
    staff = is_staff(NET, command.actor.roles)
    if command.internal and not staff:
        raise NotPermitted("internal notes are for staff only")
    data = _validate(ConversationData, command.data)
    if command.expected_version is not None and command.expected_version != state.version:
        raise VersionConflict(command.expected_version, state.version)
    if not command.internal and state.place == "closed":
        raise TicketClosed(state.id)
    event_type = NOTE_ADDED if command.internal else REPLY_ADDED
    return [NewEvent(type=event_type, data=_stamp(state.id, command.at, {"body": data.body}))]


def _conversation(state: TicketState, event: Event) -> TicketState:
    updates: dict[str, Any] = {"version": event.version, "updated_at": event.timestamp}
    body = event.data.get("body", "")
    if event.type == NOTE_ADDED:
        updates["notes"] = (*state.notes, _message(event, "note", body))
    else:
        updates["messages"] = (*state.messages, _message(event, "reply", body))
        if state.first_response_at is None and _by_staff(event):
            updates["first_response_at"] = event.timestamp
    return state.model_copy(update=updates)


def _by_staff(event: Event) -> bool:
    try:
        return is_staff(NET, event.metadata.roles)
    except ValueError:  # a role this net does not know (recorded by an older definition): not staff
        return False


def _message(event: Event, kind: str, body: str) -> Message:
    return Message(author=event.metadata.actor, kind=kind, body=body, at=event.timestamp, staff=_by_staff(event))


def _validate(schema: type[BaseModel], raw: Mapping[str, Any] | None) -> Any:
    if raw is not None and not isinstance(raw, Mapping):
        raise InvalidData("data", "must be a JSON object")
    try:
        return schema.model_validate(dict(raw or {}))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "data"
        raise InvalidData(f"data.{field}", first["msg"]) from None


def _stamp(ticket_id: str, at: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    """Every event's data carries the specification's fields: aggregate_id and timestamp."""
    return {"aggregate_id": ticket_id, "timestamp": at.isoformat(), **payload}


def _created(event: Event) -> TicketState:
    d = event.data
    return TicketState(
        id=event.stream_id,
        version=event.version,
        marking=petri.initial_marking(NET),
        subject=d.get("subject", ""),
        description=d.get("description", ""),
        priority=d.get("priority", "normal"),
        requester=d.get("requester", event.metadata.actor),
        created_at=event.timestamp,
        updated_at=event.timestamp,
    )


def _field_updates(state: TicketState, transition: str, event: Event) -> dict[str, Any]:
    d = event.data
    if transition == "assign":
        return {"assignee": d.get("assignee", event.metadata.actor)}
    if transition == "escalate":
        reason = d.get("reason")
        notes = (*state.notes, _message(event, "escalation", reason)) if reason else state.notes
        return {"escalation_reason": reason, "notes": notes}
    if transition in ("request_info", "customer_reply") and d.get("message"):
        return {"messages": (*state.messages, _message(event, transition, d["message"]))}
    if transition in ("resolve", "resolve_escalated"):
        resolution = d.get("resolution")
        messages = (*state.messages, _message(event, "resolution", resolution)) if resolution else state.messages
        return {"resolved_at": event.timestamp, "resolution": resolution, "messages": messages}
    if transition == "close":
        return {"closed_at": event.timestamp}
    if transition == "reopen":
        reason = d.get("reason")
        messages = (*state.messages, _message(event, "reopen", reason)) if reason else state.messages
        return {
            "messages": messages,
            "reopen_count": state.reopen_count + 1,
            "assignee": None,
            "resolved_at": None,
            "closed_at": None,
            "resolution": None,
            "escalation_reason": None,
        }
    return {}
