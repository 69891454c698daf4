"""The projection: one event and the ticket's current row in, the change to the read model out.

Pure functions, no I/O. The ticket row is the workflow's own :class:`~ticket_workflow.TicketState`, advanced with
:func:`ticket_workflow.evolve`, so the read model always agrees with what the write side decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ticket_workflow import CREATED, TRANSITION_BY_EVENT, Event, EventMetadata, TicketState, evolve

PRIORITY_RANK: dict[str, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
RESOLVING = frozenset({"resolve", "resolve_escalated"})


class ProjectionError(Exception):
    """The event cannot be applied to the read model (a poison event); ``position`` says which one."""

    def __init__(self, event: Event, reason: str) -> None:
        super().__init__(
            f"cannot project event at position {event.position} ({event.type} v{event.version} "
            f"of ticket {event.stream_id}): {reason}"
        )
        self.position = event.position or 0
        self.reason = reason


class HistoryEntry(BaseModel):
    """One row of a ticket's audit trail: the event exactly as recorded, with who did it and when."""

    model_config = ConfigDict(frozen=True)

    position: int
    ticket_id: str
    version: int
    event_id: str
    type: str
    transition: str | None
    occurred_at: datetime
    data: dict[str, Any]
    metadata: EventMetadata

    @property
    def actor(self) -> str:
        return self.metadata.actor

    @property
    def roles(self) -> tuple[str, ...]:
        return self.metadata.roles

    @classmethod
    def of(cls, event: Event) -> HistoryEntry:
        if event.position is None:
            raise ProjectionError(event, "the event has no global position: only stored events are projected")
        return cls(
            position=event.position,
            ticket_id=event.stream_id,
            version=event.version,
            event_id=event.id,
            type=event.type,
            transition=TRANSITION_BY_EVENT.get(event.type),
            occurred_at=event.timestamp,
            data=event.data,
            metadata=event.metadata,
        )

    def to_event(self) -> Event:
        return Event(
            id=self.event_id,
            stream_id=self.ticket_id,
            type=self.type,
            version=self.version,
            timestamp=self.occurred_at,
            data=self.data,
            metadata=self.metadata,
            position=self.position,
        )


class DayCount(BaseModel):
    """Increments of one day's counters (days in UTC)."""

    model_config = ConfigDict(frozen=True)

    day: date
    created: int = 0
    resolved: int = 0


class Change(BaseModel):
    """Everything one event changes in the read model."""

    model_config = ConfigDict(frozen=True)

    ticket: TicketState
    history: HistoryEntry
    day: DayCount | None
    place_counts: dict[str, int]  # place -> delta of the number of tickets in it


def project(event: Event, current: TicketState | None) -> Change:
    """The change ``event`` makes, given the ticket's current row (None before its creation)."""
    history = HistoryEntry.of(event)
    after = advance(event, current)
    return Change(ticket=after, history=history, day=_day_count(event), place_counts=_moves(current, after))


def advance(event: Event, current: TicketState | None) -> TicketState:
    """The ticket's row after ``event``; :class:`ProjectionError` when the read model cannot take the event."""
    if event.position is None:
        raise ProjectionError(event, "the event has no global position: only stored events are projected")
    if current is None and event.type != CREATED:
        raise ProjectionError(event, "the ticket has no creation event in the read model")
    if current is not None:
        if event.type == CREATED:
            raise ProjectionError(event, "the ticket was already created")
        if event.version != current.version + 1:
            raise ProjectionError(
                event, f"expected version {current.version + 1}, the read model is at {current.version}"
            )
    elif event.version != 1:
        raise ProjectionError(event, "a creation event must be version 1")
    try:
        return evolve(current, event)
    except (ValueError, LookupError) as exc:
        raise ProjectionError(event, str(exc)) from exc


@dataclass
class Effects:
    """What a run of consecutive events changes in the read model, gathered for one bulk write.

    The same projection as :func:`project`, without a model per event: the batch writers and the rebuild need
    only each ticket's last row, the events themselves (the history) and the summed counters.
    """

    tickets: dict[str, tuple[TicketState, int]] = field(default_factory=dict)  # id -> (last row, its position)
    events: list[Event] = field(default_factory=list)
    days: dict[date, list[int]] = field(default_factory=dict)  # day -> [created, resolved] increments
    places: dict[str, int] = field(default_factory=dict)  # place -> delta of the number of tickets in it
    position: int = 0  # of the last event

    def add(self, event: Event, before: TicketState | None, after: TicketState) -> None:
        position = event.position or 0
        self.tickets[after.id] = (after, position)
        self.events.append(event)
        self.position = position
        kind = _day_kind(event)
        if kind is not None:
            counts = self.days.setdefault(event.timestamp.astimezone(UTC).date(), [0, 0])
            counts[kind] += 1
        for place, delta in _moves(before, after).items():
            self.places[place] = self.places.get(place, 0) + delta

    @classmethod
    def of(cls, change: Change) -> Effects:
        """One event's change, as a batch of one."""
        effects = cls(
            tickets={change.ticket.id: (change.ticket, change.history.position)},
            events=[change.history.to_event()],
            places=dict(change.place_counts),
            position=change.history.position,
        )
        if change.day is not None:
            effects.days[change.day.day] = [change.day.created, change.day.resolved]
        return effects


def project_all(events: Iterable[Event], states: dict[str, TicketState]) -> Effects:
    """The effects of ``events`` (in position order) on the rows ``states``, which are advanced in place.

    Stops with :class:`ProjectionError` at the first event that cannot be applied; ``states`` then holds the
    rows before it.
    """
    effects = Effects()
    for event in events:
        before = states.get(event.stream_id)
        after = advance(event, before)
        states[event.stream_id] = after
        effects.add(event, before, after)
    return effects


def _day_count(event: Event) -> DayCount | None:
    kind = _day_kind(event)
    if kind is None:
        return None
    day = event.timestamp.astimezone(UTC).date()
    return DayCount(day=day, created=1) if kind == 0 else DayCount(day=day, resolved=1)


def _day_kind(event: Event) -> int | None:
    """0 when the event creates a ticket, 1 when it resolves one (the counters of ``daily_stats``)."""
    if event.type == CREATED:
        return 0
    if TRANSITION_BY_EVENT.get(event.type) in RESOLVING:
        return 1
    return None


def _moves(before: TicketState | None, after: TicketState) -> dict[str, int]:
    if before is not None and before.place == after.place:
        return {}
    moves = {after.place: 1}
    if before is not None:
        moves[before.place] = -1
    return moves


def priority_rank(priority: str) -> int:
    return PRIORITY_RANK.get(priority, PRIORITY_RANK["normal"])


def utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def canonical(state: TicketState) -> dict[str, Any]:
    """A JSON-ready form that is equal for equal tickets whatever the storage (times in UTC)."""
    data = state.model_dump(mode="json")
    for name in ("created_at", "updated_at", "first_response_at", "resolved_at", "closed_at"):
        moment = utc(getattr(state, name))
        data[name] = moment.isoformat() if moment else None
    data["messages"] = [{**m.model_dump(mode="json"), "at": m.at.astimezone(UTC).isoformat()} for m in state.messages]
    return data
