"""Service levels: the policy, and a ticket's two clocks as a pure function of its events, the policy and ``now``.

Every rule, in one place:

==================  ============================================================================================
Rule                What it means
==================  ============================================================================================
Policy              Targets per priority (first response and resolution, in minutes; a warning at
                    ``warning_percent`` of each) and an optional business-hours calendar. A priority without
                    targets, or no policy at all, has no clocks. A target left out has no clock of its own.
Which policy        The latest policy applies to every ticket while it is open (not resolved, not closed): a
                    change re-measures open tickets from their creation under the new targets and calendar, as
                    Zendesk and Jira Service Management do with open issues. A resolved or closed ticket keeps
                    the results the policy in force at its resolution gave it, until it is reopened.
First response      Runs from creation until the first staff action that answers the customer: a transition whose
                    ``Effects.first_response`` is true, or a public reply by staff (``TicketState.
                    first_response_at``, as ``evolve`` folds it). An internal note or a customer's own event
                    never counts. It never pauses, and stops once for the ticket's life.
Resolution          Runs from creation while the ticket is in any place but ``pending_customer`` (paused:
                    waiting on the customer is not counted), ``resolved`` and ``closed`` (stopped: ``met_at`` is
                    the resolution). A reply by the customer moves the ticket back and the clock resumes.
Reopen              The resolution clock continues: the time counted before the resolution stays counted, the
                    time the ticket spent resolved or closed does not. Zendesk's "agent work time" counts the same
                    way; a fresh budget per reopen (Jira's new cycle) would reward resolving too early.
Business hours      With a calendar only working time counts: its weekdays from start to end in its zone's wall
                    time (so a DST change moves the UTC hours), never on its holidays. Without one, every second.
Deadline            ``due_at``: the earliest instant at which the counted time reaches the target (inside working
                    hours); ``warning_at`` the same for ``warning_percent`` of the target (whole seconds, down).
Status              ``met``: stopped at or before ``due_at``. ``breached``: ``now`` is past ``due_at`` while it
                    runs, or it stopped or paused past it (a breach is final). ``paused``: waiting, not breached.
                    ``warning``: running and ``now >= warning_at``. Else ``ok``. As ``now`` grows a running clock
                    only goes ok -> warning -> breached.
Overall             The worse of the two (ok < warning < breached; paused counts as ok); ``met`` when every clock
                    the ticket has is met.
==================  ============================================================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .aggregate import evolve
from .data import Priority
from .definition import CREATED, SUPPORT_TICKET, TRANSITION_BY_EVENT
from .events import Event
from .hours import Calendar, add_working, working_time
from .state import TicketState

PAUSED_IN = frozenset({"pending_customer"})
STOPPED_IN = frozenset({"resolved", "closed"})
Status = Literal["ok", "warning", "breached", "met", "paused"]
RANK: dict[str, int] = {"met": 0, "ok": 1, "paused": 1, "warning": 2, "breached": 3}
MAX_MINUTES = 366 * 24 * 60


class Target(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    first_response_minutes: int | None = Field(None, ge=1, le=MAX_MINUTES)
    resolution_minutes: int | None = Field(None, ge=1, le=MAX_MINUTES)
    warning_percent: int = Field(80, ge=1, le=99, description="Warn when this share of the target is used.")


class Policy(BaseModel):
    """What an admin sets (``ServiceLevelPolicySet``'s data): targets per priority, and when the clocks count."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    targets: dict[Priority, Target] = Field(default_factory=dict)
    calendar: Calendar | None = Field(None, description="Business hours; null: the clocks count round the clock.")


@dataclass(frozen=True)
class Timeline:
    """What the clocks need of a ticket's events."""

    created_at: datetime
    priority: str
    first_response_at: datetime | None
    running: tuple[tuple[datetime, datetime | None], ...]  # the resolution clock's spans; the last may be open
    stopped: bool  # resolved or closed (else, with a closed last span, paused)


@dataclass(frozen=True)
class Clock:
    """One clock's deadlines, independent of ``now`` (what the read model stores)."""

    target: timedelta
    due_at: datetime | None  # None while paused
    warning_at: datetime | None
    met_at: datetime | None
    breached: bool  # stopped or paused past its due instant: final
    paused: bool
    counted: timedelta  # before ``running_since`` (all of it when not running)
    running_since: datetime | None

    def status(self, now: datetime) -> Status:
        if self.breached:
            return "breached"
        if self.met_at is not None:
            return "met"
        if self.paused or self.due_at is None or self.warning_at is None:
            return "paused"
        if now > self.due_at:
            return "breached"
        return "warning" if now >= self.warning_at else "ok"

    def elapsed(self, now: datetime, calendar: Calendar | None) -> timedelta:
        if self.running_since is None:
            return self.counted
        return self.counted + working_time(calendar, self.running_since, now)


@dataclass(frozen=True)
class Clocks:
    first_response: Clock | None
    resolution: Clock | None

    def status(self, now: datetime) -> str | None:
        return overall([c.status(now) for c in (self.first_response, self.resolution) if c is not None])


def overall(statuses: list[str]) -> str | None:
    """The ticket's status from its clocks' (None without clocks)."""
    if not statuses:
        return None
    if all(s == "met" for s in statuses):
        return "met"
    worst = max(statuses, key=RANK.__getitem__)
    return "ok" if worst in ("paused", "met") else worst


def runs_in(place: str) -> bool:
    """Whether the resolution clock counts while the ticket is in ``place``."""
    return place not in PAUSED_IN and place not in STOPPED_IN


def place_after(event_type: str, place: str | None) -> str:
    """The ticket's place after an event of ``event_type`` (the net holds exactly one token)."""
    if event_type == CREATED:
        return next(p.name for p in SUPPORT_TICKET.places if p.initial)
    transition = TRANSITION_BY_EVENT.get(event_type)
    if transition is None:
        if place is None:
            raise ValueError(f"{event_type!r} before the ticket's creation")
        return place  # the conversation leaves the marking as it is
    return SUPPORT_TICKET.transition(transition).outputs[0].place


Spans = tuple[tuple[datetime, datetime | None], ...]


def step(running: Spans, before: str | None, after: str, at: datetime) -> Spans:
    """The resolution clock's spans after the ticket moved from ``before`` (None: created) to ``after`` at ``at``."""
    was, now = before is not None and runs_in(before), runs_in(after)
    if now and not was:
        return (*running, (at, None))
    if was and not now and running and running[-1][1] is None:
        return (*running[:-1], (running[-1][0], at))
    return running


def timeline_of(events: Iterable[Event]) -> Timeline:
    """The timeline of one ticket's events, oldest first."""
    state: TicketState | None = None
    place: str | None = None
    running: Spans = ()
    for event in events:
        state = evolve(state, event)
        after = place_after(event.type, place)
        running = step(running, place, after, event.timestamp)
        place = after
    if state is None or state.created_at is None or place is None:
        raise ValueError("a timeline needs the ticket's creation event")
    return Timeline(state.created_at, state.priority, state.first_response_at, running, place in STOPPED_IN)


def clock(spans: Spans, target: timedelta, percent: int, calendar: Calendar | None, *, stopped: bool) -> Clock:
    """A clock that counts over ``spans`` (the last one open while it runs) towards ``target``."""
    warning = timedelta(seconds=int(target.total_seconds() * percent // 100))
    counted = timedelta(0)
    breached = False
    due = warn = None
    for start, end in spans:
        due = add_working(calendar, start, target - counted)
        warn = add_working(calendar, start, warning - counted)
        if end is None:
            return Clock(target, due, warn, None, breached, False, counted, start)
        breached = breached or end > due
        counted += working_time(calendar, start, end)
    met_at = spans[-1][1] if stopped and spans else None
    paused = not stopped
    return Clock(target, None if paused else due, None if paused else warn, met_at, breached, paused, counted, None)


def clocks(timeline: Timeline, policy: Policy | None) -> Clocks:
    """The ticket's clocks under ``policy`` (None for a clock without a target)."""
    target = policy.targets.get(timeline.priority) if policy is not None else None  # type: ignore[call-overload]
    if target is None or policy is None:
        return Clocks(None, None)
    first = resolution = None
    if target.first_response_minutes is not None:
        answered = timeline.first_response_at
        first = clock(
            ((timeline.created_at, answered),),
            timedelta(minutes=target.first_response_minutes),
            target.warning_percent,
            policy.calendar,
            stopped=answered is not None,
        )
    if target.resolution_minutes is not None and timeline.running:
        resolution = clock(
            timeline.running,
            timedelta(minutes=target.resolution_minutes),
            target.warning_percent,
            policy.calendar,
            stopped=timeline.stopped,
        )
    return Clocks(first, resolution)


def clock_view(item: Clock | None, now: datetime, calendar: Calendar | None) -> dict[str, Any] | None:
    """A clock as the API writes it, as of ``now``."""
    if item is None:
        return None
    return {
        "due_at": item.due_at,
        "warning_at": item.warning_at,
        "status": item.status(now),
        "met_at": item.met_at,
        "elapsed_seconds": item.elapsed(now, calendar).total_seconds(),
        "target_seconds": int(item.target.total_seconds()),
    }


def sla_view(found: Clocks, now: datetime, calendar: Calendar | None) -> dict[str, Any] | None:
    """The ticket's ``sla`` as the API writes it (None when no clock applies)."""
    if found.first_response is None and found.resolution is None:
        return None
    return {
        "first_response": clock_view(found.first_response, now, calendar),
        "resolution": clock_view(found.resolution, now, calendar),
        "status": found.status(now),
    }


def evaluate(events: Iterable[Event], policy: Policy | None, now: datetime) -> dict[str, Any] | None:
    """A ticket's ``sla`` from its events alone, as of ``now``."""
    return sla_view(clocks(timeline_of(events), policy), now, policy.calendar if policy else None)
