"""A ticket's history with the service-level policy changing between its versions, and the ``sla`` each version
had at its time (the expectations of the time-travel tests, unit and integration alike)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.scenarios import Ticket
from ticket_readmodel.service_levels import policy_record, sla_at
from ticket_workflow import Event, EventMetadata
from ticket_workflow.streams import SLA_POLICY_STREAM

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
STRICT_ANSWER = {"targets": {"high": {"first_response_minutes": 30, "resolution_minutes": 120}}}
QUICK_FIX = {"targets": {"high": {"first_response_minutes": 60, "resolution_minutes": 30}}}
LENIENT = {"targets": {"high": {"first_response_minutes": 600, "resolution_minutes": 600}}}


class History:
    """One log: a ticket filed before any policy, then policy versions between the steps of another ticket."""

    def __init__(self) -> None:
        positions: Iterator[int] = itertools.count(1)
        self.positions = positions
        self.policies = 0
        self.early = Ticket(requester="alice", at=T0 - 60 * MIN, positions=positions)
        self.early.create(priority="high")  # before any policy
        self.log: list[Event] = [*self.early.events, self.policy(STRICT_ANSWER)]
        self.ticket = Ticket(requester="alice", at=T0, step=40 * MIN, positions=positions)
        self.ticket.create(priority="high")  # v1 at T0
        self.ticket.fire("assign")  # v2 at +40: the first response, 10 minutes late
        self.log += [*self.ticket.events, self.policy(QUICK_FIX)]
        self.ticket.fire("start_work")  # v3 at +80, under the quick fix: resolution due at +30
        self.ticket.fire("resolve")  # v4 at +120: stopped, late
        self.log += [*self.ticket.events[2:], self.policy(LENIENT)]
        self.ticket.fire("close")  # v5 at +160: resolved under the quick fix, it stays measured by it
        self.early.fire("assign")  # the early ticket's v2, under the lenient policy
        self.log += [self.ticket.events[-1], self.early.events[-1]]

    def policy(self, data: dict[str, Any]) -> Event:
        self.policies += 1
        return Event(
            id=str(uuid.uuid4()),
            stream_id=SLA_POLICY_STREAM,
            type="ServiceLevelPolicySet",
            version=self.policies,
            timestamp=T0 - timedelta(days=1),
            data=data,
            metadata=EventMetadata(actor="root", roles=("admin",)),
            position=next(self.positions),
        )

    def at(self, ticket: Ticket, version: int) -> dict[str, Any] | None:
        """``sla_at`` the way the query API calls it: the policy versions recorded before that version's event."""
        events = ticket.events[:version]
        last = events[-1].position or 0
        records = [policy_record(e) for e in self.log if e.stream_id == SLA_POLICY_STREAM and (e.position or 0) < last]
        return sla_at(events, records)


def clock(due: int, warning: int, status: str, elapsed: int, target: int, met: int | None = None) -> dict[str, Any]:
    """A clock as :func:`ticket_workflow.sla.clock_view` writes it, times in minutes after T0."""
    return {
        "due_at": T0 + due * MIN,
        "warning_at": T0 + warning * MIN,
        "status": status,
        "met_at": None if met is None else T0 + met * MIN,
        "elapsed_seconds": elapsed * 60.0,
        "target_seconds": target * 60,
    }


# The ticket at each version, judged at that version's time.
EXPECTED: dict[int, dict[str, Any]] = {
    1: {"first_response": clock(30, 24, "ok", 0, 30), "resolution": clock(120, 96, "ok", 0, 120), "status": "ok"},
    2: {
        "first_response": clock(30, 24, "breached", 40, 30, met=40),
        "resolution": clock(120, 96, "ok", 40, 120),
        "status": "breached",
    },
    3: {  # the quick fix: the first response now met in time, the resolution already late
        "first_response": clock(60, 48, "met", 40, 60, met=40),
        "resolution": clock(30, 24, "breached", 80, 30),
        "status": "breached",
    },
    4: {
        "first_response": clock(60, 48, "met", 40, 60, met=40),
        "resolution": clock(30, 24, "breached", 120, 30, met=120),
        "status": "breached",
    },
}
EXPECTED[5] = EXPECTED[4]  # the lenient policy came after the resolution: the quick fix still measures it


def as_json(sla: dict[str, Any]) -> dict[str, Any]:
    """The view as the API writes it (times in UTC with a Z)."""

    def value(v: Any) -> Any:
        return v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v

    return {k: {n: value(v) for n, v in c.items()} if isinstance(c, dict) else c for k, c in sla.items()}
