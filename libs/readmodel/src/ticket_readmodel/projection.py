"""The projection: one event and the ticket's current row in, the change to the read model out.

Pure functions, no I/O. The ticket row is the workflow's own :class:`~ticket_workflow.TicketState`, advanced with
:func:`ticket_workflow.evolve`, so the read model always agrees with what the write side decided.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from ticket_workflow import CREATED, EFFECTS, TRANSITION_BY_EVENT, Event, EventMetadata, TicketState, evolve
from ticket_workflow.streams import is_system_stream
from ticket_workflow.visibility import sees_everything


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


class BucketCount(BaseModel):
    """Increments of one quarter hour's counters (``bucket``: its start, in UTC)."""

    model_config = ConfigDict(frozen=True)

    bucket: datetime
    created: int = 0
    resolved: int = 0


class Change(BaseModel):
    """Everything one event changes in the read model."""

    model_config = ConfigDict(frozen=True)

    ticket: TicketState
    history: HistoryEntry
    bucket: BucketCount | None
    place_counts: dict[str, int]  # place -> delta of the number of tickets in it


def project(event: Event, current: TicketState | None) -> Change:
    """The change ``event`` makes, given the ticket's current row (None before its creation)."""
    history = HistoryEntry.of(event)
    after = advance(event, current)
    return Change(ticket=after, history=history, bucket=_bucket_count(event), place_counts=_moves(current, after))


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
class Seen:
    """What a run of events says about one staff member: the directory's increments (table ``people``)."""

    roles: tuple[str, ...]  # presented on the member's latest event (in log order)
    first_seen: datetime
    last_seen: datetime
    actions: int

    def add(self, later: Seen) -> None:
        """Fold in what events after these ones say."""
        self.roles = later.roles
        self.first_seen = min(self.first_seen, later.first_seen)
        self.last_seen = max(self.last_seen, later.last_seen)
        self.actions += later.actions


@dataclass
class Effects:
    """What a run of consecutive events changes in the read model, gathered for one bulk write.

    The same projection as :func:`project`, without a model per event: the batch writers and the rebuild need
    only each ticket's last row, the events themselves (the history) and the summed counters.
    """

    tickets: dict[str, tuple[TicketState, int]] = field(default_factory=dict)  # id -> (last row, its position)
    events: list[Event] = field(default_factory=list)
    buckets: dict[datetime, list[int]] = field(default_factory=dict)  # quarter hour -> [created, resolved]
    places: dict[str, int] = field(default_factory=dict)  # place -> delta of the number of tickets in it
    people: dict[str, Seen] = field(default_factory=dict)  # staff actor -> what these events add
    system: list[Event] = field(default_factory=list)  # events of system streams (``ticket_workflow.streams``)
    position: int = 0  # of the last event

    def add(self, event: Event, before: TicketState | None, after: TicketState) -> None:
        position = event.position or 0
        self.tickets[after.id] = (after, position)
        self.events.append(event)
        self.position = position
        for place, delta in _moves(before, after).items():
            self.places[place] = self.places.get(place, 0) + delta
        self.count(event)

    def count(self, event: Event) -> None:
        """Add ``event`` to the quarter-hour counters and the staff directory."""
        kind = _counter_kind(event)
        if kind is not None:
            self.buckets.setdefault(bucket_of(event.timestamp), [0, 0])[kind] += 1
        actor, roles = event.metadata.actor, event.metadata.roles
        if not sees_everything(roles):
            return
        seen = Seen(roles=tuple(roles), first_seen=event.timestamp, last_seen=event.timestamp, actions=1)
        if actor in self.people:
            self.people[actor].add(seen)
        else:
            self.people[actor] = seen

    def add_counters(self, later: Effects) -> None:
        """Sum the counters of the events after these into these (the rebuild keeps only the totals)."""
        for bucket, (created, resolved) in later.buckets.items():
            counts = self.buckets.setdefault(bucket, [0, 0])
            counts[0] += created
            counts[1] += resolved
        for place, delta in later.places.items():
            self.places[place] = self.places.get(place, 0) + delta
        for actor, seen in later.people.items():
            if actor in self.people:
                self.people[actor].add(seen)
            else:
                self.people[actor] = Seen(seen.roles, seen.first_seen, seen.last_seen, seen.actions)

    @classmethod
    def of(cls, change: Change) -> Effects:
        """One event's change, as a batch of one."""
        event = change.history.to_event()
        effects = cls(
            tickets={change.ticket.id: (change.ticket, change.history.position)},
            events=[event],
            places=dict(change.place_counts),
            position=change.history.position,
        )
        effects.count(event)
        return effects


def project_all(events: Iterable[Event], states: dict[str, TicketState]) -> Effects:
    """The effects of ``events`` (in position order) on the rows ``states``, which are advanced in place.

    Stops with :class:`ProjectionError` at the first event that cannot be applied; ``states`` then holds the
    rows before it.
    """
    effects = Effects()
    for event in events:
        if is_system_stream(event.stream_id):
            effects.system.append(event)
            effects.position = event.position or effects.position
            continue
        before = states.get(event.stream_id)
        after = advance(event, before)
        states[event.stream_id] = after
        effects.add(event, before, after)
    return effects


def bucket_of(moment: datetime) -> datetime:
    """The start of the quarter hour (UTC) that holds ``moment``: every real UTC offset is a multiple of 15
    minutes, so quarter hours fold into the days of any time zone."""
    at = moment.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


def _bucket_count(event: Event) -> BucketCount | None:
    kind = _counter_kind(event)
    if kind is None:
        return None
    bucket = bucket_of(event.timestamp)
    return BucketCount(bucket=bucket, created=1) if kind == 0 else BucketCount(bucket=bucket, resolved=1)


def _counter_kind(event: Event) -> int | None:
    """0 when the event creates a ticket, 1 when it resolves one (the counters of ``stats_buckets``)."""
    if event.type == CREATED:
        return 0
    transition = TRANSITION_BY_EVENT.get(event.type)
    if transition is not None and EFFECTS[transition].resolves:  # the net's effects say what counts as resolved
        return 1
    return None


def _moves(before: TicketState | None, after: TicketState) -> dict[str, int]:
    if before is not None and before.place == after.place:
        return {}
    moves = {after.place: 1}
    if before is not None:
        moves[before.place] = -1
    return moves
