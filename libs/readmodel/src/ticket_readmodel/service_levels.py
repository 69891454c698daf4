"""Service levels in the read model: each ticket's clocks as stored columns, and the step both adapters and the
rebuild take for a run of events, policy changes included (the rules: :mod:`ticket_workflow.sla`).

A ticket's columns follow from its row, the resolution clock's spans (``sla_intervals``, kept with the row) and the
policy that applies to it: the latest one while it is open, else the one in force when it was resolved (its
version is ``sla_policy_version``). Which one applies depends only on the order of the log, so event by event,
batch by batch and the rebuild all store the same deadlines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict

from ticket_workflow import Event, TicketState
from ticket_workflow.sla import STOPPED_IN, Clock, Policy, Spans, Timeline, clocks, evaluate, place_after, step
from ticket_workflow.streams import SLA_POLICY_STREAM

from .mapping import FAR_FUTURE, SlaValues, stamp
from .projection import Effects

SLA_POLICY_SET = "ServiceLevelPolicySet"


class PolicyRecord(BaseModel):
    """One version of the policy, as an admin set it."""

    model_config = ConfigDict(frozen=True)

    version: int
    policy: Policy
    updated_at: datetime
    updated_by: str
    position: int


def policy_record(event: Event) -> PolicyRecord:
    return PolicyRecord(
        version=event.version,
        policy=parse_policy(orjson.dumps(event.data).decode()),
        updated_at=event.timestamp,
        updated_by=event.metadata.actor,
        position=event.position or 0,
    )


@lru_cache(maxsize=64)
def parse_policy(text: str) -> Policy:
    return Policy.model_validate_json(text)


def policy_events(effects: Effects) -> list[Event]:
    return [e for e in effects.system if e.stream_id == SLA_POLICY_STREAM and e.type == SLA_POLICY_SET]


@dataclass
class Tracked:
    """What the clocks keep of a ticket beside its row: the place, the spans, the policy it was resolved under."""

    place: str | None = None
    spans: Spans = ()
    version: int | None = None  # of the policy in force at the resolution (None while open)


def tracked_of(place: str, intervals: str, version: int | None) -> Tracked:
    spans = tuple((_at(s), _at(e)) for s, e in orjson.loads(intervals))
    return Tracked(place, spans, version if place in STOPPED_IN else None)


def _at(text: str | None) -> Any:
    return datetime.fromisoformat(text) if text is not None else None


def intervals_text(spans: Spans) -> str:
    return orjson.dumps([[stamp(s), stamp(e)] for s, e in spans]).decode()


@dataclass
class Policies:
    """The policy versions a run of events may name: the latest, and older ones by version."""

    by_version: dict[int, PolicyRecord] = field(default_factory=dict)
    latest: int | None = None

    def add(self, record: PolicyRecord) -> None:
        self.by_version[record.version] = record
        if self.latest is None or record.version > self.latest:
            self.latest = record.version

    def in_force(self, position: int) -> int | None:
        """The version in force just before ``position``."""
        before = [r.version for r in self.by_version.values() if r.position < position]
        return max(before) if before else None


def follow(tracked: Mapping[str, Tracked], effects: Effects, policies: Policies) -> dict[str, Tracked]:
    """Each touched ticket's tracking after ``effects``' events, in log order; ``policies`` gets the batch's
    policy versions (it must hold the latest one before the batch)."""
    for event in policy_events(effects):
        policies.add(policy_record(event))
    after: dict[str, Tracked] = {}
    for event in effects.events:
        before = after.get(event.stream_id) or tracked.get(event.stream_id) or Tracked()
        place = place_after(event.type, before.place)
        spans = step(before.spans, before.place, place, event.timestamp)
        version = before.version
        if place in STOPPED_IN and (before.place is None or before.place not in STOPPED_IN):
            version = policies.in_force(event.position or 0)
        elif place not in STOPPED_IN:
            version = None
        after[event.stream_id] = Tracked(place, spans, version)
    return after


def applicable(item: Tracked, policies: Policies) -> PolicyRecord | None:
    version = item.version if item.version is not None else policies.latest
    return policies.by_version.get(version) if version is not None else None


def sla_at(events: Sequence[Event], records: Iterable[PolicyRecord]) -> dict[str, Any] | None:
    """A ticket's ``sla`` as it stood right after the last of ``events`` (its history up to a version, oldest first),
    judged at that event's time. ``records`` are the policy's versions recorded before that event: the policy is
    the one the read model applied then (the latest while the ticket was open, else the one in force at its
    resolution), chosen by :func:`follow` and :func:`applicable` as the projection chooses it."""
    policies = Policies()
    for record in records:
        policies.add(record)
    last = events[-1]
    tracked = follow({}, Effects(events=list(events)), policies)[last.stream_id]
    applied = applicable(tracked, policies)
    return evaluate(events, applied.policy if applied is not None else None, last.timestamp)


@dataclass(frozen=True)
class Facts:
    """What the clocks read of a ticket's row."""

    created_at: datetime
    priority: str
    first_response_at: datetime | None

    @classmethod
    def of(cls, state: TicketState) -> Facts:
        assert state.created_at is not None
        return cls(state.created_at, state.priority, state.first_response_at)


def sla_values(facts: Facts, item: Tracked, record: PolicyRecord | None) -> tuple[Any, ...]:
    """The ticket's values of :data:`~ticket_readmodel.mapping.SLA_COLUMNS` (times as datetimes) under
    ``record``'s policy."""
    stopped = item.place in STOPPED_IN
    timeline = Timeline(facts.created_at, facts.priority, facts.first_response_at, item.spans, stopped)
    found = clocks(timeline, record.policy if record else None)
    first, resolution = found.first_response, found.resolution
    pending = [c for c in (first, resolution) if c is not None and c.met_at is None and c.due_at is not None]
    warning = min((c.warning_at for c in pending if c.warning_at is not None), default=None)
    due = min((c.due_at for c in pending if c.due_at is not None), default=FAR_FUTURE)
    return (
        record.version if record and (first or resolution) else None,
        *_clock_values(first),
        *_clock_values(resolution),
        bool(resolution and resolution.paused),
        resolution.counted.total_seconds() if resolution else 0.0,
        resolution.running_since if resolution else None,
        warning,
        due,
    )


def _clock_values(item: Clock | None) -> tuple[Any, ...]:
    if item is None:
        return (None, None, None, None, False)
    return (int(item.target.total_seconds()), item.due_at, item.warning_at, item.met_at, item.breached)


def sla_row(facts: Facts, item: Tracked, policies: Policies) -> SlaValues:
    return SlaValues(sla_values(facts, item, applicable(item, policies)), intervals_text(item.spans))


def rows_for(
    states: Iterable[tuple[TicketState, int]], tracked: Mapping[str, Tracked], policies: Policies
) -> dict[str, SlaValues]:
    """The service-level columns of each ticket row about to be written."""
    return {
        state.id: sla_row(Facts.of(state), tracked.get(state.id) or Tracked(state.place), policies)
        for state, _ in states
    }


def missing_versions(tracked: Iterable[Tracked], policies: Policies) -> set[int]:
    """Versions the stopped tickets were resolved under that ``policies`` does not hold yet."""
    return {t.version for t in tracked if t.version is not None and t.version not in policies.by_version}
