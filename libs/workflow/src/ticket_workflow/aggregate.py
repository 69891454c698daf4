"""The ticket aggregate: ``decide`` turns a command into events, ``evolve`` folds an event into state.

No clock and no I/O here: commands carry their time, the application layer stores the events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from . import net as petri
from .data import DATA_SCHEMAS, ConversationData, CreateTicketData
from .definition import CREATED, EFFECTS, NO_REPLIES_IN, NOTE_ADDED, REPLY_ADDED, TRANSITION_BY_EVENT
from .effects import NOTE, problems
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
from .state import NET, Actor, Command, CreateTicket, FireTransition, Message, PostMessage, TicketState

_TICKET_DEFAULTS = {name: info.default for name, info in TicketState.model_fields.items()}
_DATA_FIELDS = {name: tuple(schema.model_fields) for name, schema in DATA_SCHEMAS.items()}
if found := problems(EFFECTS, NET.transition_names, tuple(_TICKET_DEFAULTS), _DATA_FIELDS):
    raise ValueError("invalid effects: " + "; ".join(found))


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
    return state.model_copy(update={**updates, **_effects(state, transition, event)})


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
    if (assigns := EFFECTS[transition.name].assigns) is not None:
        payload.setdefault(assigns, command.actor.sub)
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
    if not command.internal and state.place in NO_REPLIES_IN:
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


def _effects(state: TicketState, transition: str, event: Event) -> dict[str, Any]:
    """The ticket fields ``transition``'s :class:`~ticket_workflow.effects.Effects` change, given its event."""
    effects, data, at = EFFECTS[transition], event.data, event.timestamp
    updates: dict[str, Any] = {name: _TICKET_DEFAULTS[name] for name in effects.clears}
    if effects.assigns is not None:
        updates["assignee"] = data.get(effects.assigns, event.metadata.actor)
    updates.update({target: data.get(source) for target, source in effects.sets.items()})
    updates.update({name: at for name in effects.stamps})
    updates.update({name: getattr(state, name) + 1 for name in effects.counts})
    if effects.first_response and state.first_response_at is None:
        updates["first_response_at"] = at
    public: list[Message] = []
    staff: list[Message] = []
    for writes in effects.writes:
        if text := data.get(writes.field):
            (staff if writes.staff_only else public).append(_message(event, writes.kind, text))
    if (note := data.get(NOTE)) and _by_staff(event):
        staff.append(_message(event, transition, note))
    if public:
        updates["messages"] = (*state.messages, *public)
    if staff:
        updates["notes"] = (*state.notes, *staff)
    return updates
