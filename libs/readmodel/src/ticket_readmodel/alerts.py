"""Service-level alerts: a clock's warning or due instant that passed, raised once by the timer and kept in the
read model's ``sla_alerts`` table, which is also the outbox of the alerts stream.

An alert's id is ``<ticket>:<clock>:<kind>:<due_at>``: the same deadline is alerted once, and a deadline moved (by
a policy change or a reopen) is a new alert; a clock breached once is not breached again when it resumes after a
pause (see :func:`due_sql`). A clock is alerted while it has a deadline (none while paused) and is not met, on a
ticket that is neither resolved nor closed. The stream entry's fields are :meth:`Alert.entry`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

Clock = Literal["first_response", "resolution"]
Kind = Literal["warning", "breached"]
CLOCKS: tuple[Clock, ...] = ("first_response", "resolution")
KINDS: tuple[Kind, ...] = ("warning", "breached")
TYPES: dict[str, str] = {"warning": "ServiceLevelWarning", "breached": "ServiceLevelBreached"}
CLOSED_PLACES = ("resolved", "closed")
COLUMNS = "id, seq, ticket_id, clock, kind, due_at, warning_at, instant, raised_at, priority, published_at"


def iso(moment: datetime | None) -> str:
    """A time in UTC ISO 8601, as alert ids and stream entries carry it ("" for none)."""
    return moment.astimezone(UTC).isoformat() if moment is not None else ""


@dataclass(frozen=True)
class Alert:
    """One clock's warning or breach; ``raised_at`` and ``seq`` once recorded."""

    ticket_id: str
    clock: Clock
    kind: Kind
    due_at: datetime
    warning_at: datetime | None
    instant: datetime  # the instant that passed: warning_at for a warning, due_at for a breach
    priority: str
    raised_at: datetime | None = None
    seq: int = 0
    published_at: datetime | None = None

    @property
    def id(self) -> str:
        return f"{self.ticket_id}:{self.clock}:{self.kind}:{iso(self.due_at)}"

    @property
    def type(self) -> str:
        return TYPES[self.kind]

    def raised(self, at: datetime) -> Alert:
        return replace(self, raised_at=at)

    def entry(self) -> dict[str, str]:
        """The fields of its entry on the alerts stream (all plain strings)."""
        return {
            "id": self.id,
            "type": self.type,
            "ticket_id": self.ticket_id,
            "clock": self.clock,
            "due_at": iso(self.due_at),
            "warning_at": iso(self.warning_at),
            "raised_at": iso(self.raised_at),
            "priority": self.priority,
        }

    def as_json(self) -> dict[str, Any]:
        """As the alerts API lists it: the entry's fields, ``seq``, and null for a missing time."""
        body: dict[str, Any] = {"seq": self.seq, **self.entry()}
        body["warning_at"] = body["warning_at"] or None
        return body


class SlaAlert(BaseModel):
    """An alert as the APIs answer it (:meth:`Alert.as_json`): the query API's list, the operator's status."""

    seq: int = Field(description="Order in which the alerts were raised; the cursor of `after`.")
    id: str = Field(description='"<ticket>:<clock>:<kind>:<due_at>": one alert per deadline and kind.')
    type: Literal["ServiceLevelWarning", "ServiceLevelBreached"]
    ticket_id: str
    clock: Clock
    due_at: datetime
    warning_at: datetime | None
    raised_at: datetime
    priority: str


@dataclass(frozen=True)
class Outbox:
    """The alerts table as the operator's status shows it."""

    unpublished: int  # recorded, not on the stream yet (all of them where nothing publishes: the embedded mode)
    last_raised: Alert | None  # the highest ``seq``
    last_published: Alert | None  # the highest ``seq`` on the stream


class AlertLog(Protocol):
    """What the timer needs of a read model (``alerts_postgres``, ``alerts_sqlite``)."""

    async def due(self, now: datetime, limit: int) -> list[Alert]:
        """Alerts whose instant is at or before ``now`` and that were not recorded yet, earliest first."""

    async def record(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Records the raised ``alerts``; returns those not recorded before, with their ``seq``."""

    async def unpublished(self, limit: int) -> list[Alert]:
        """Recorded alerts not yet on the stream, in ``seq`` order."""

    async def mark_published(self, ids: Sequence[str], at: datetime) -> None: ...

    async def alerts(self, after: int, limit: int) -> list[Alert]:
        """Recorded alerts with ``seq`` above ``after``, in ``seq`` order."""

    async def outbox(self) -> Outbox:
        """How many recorded alerts are not on the stream yet, and the last recorded and last published."""


def due_sql(table: str, alerts_table: str, param: Any) -> str:
    """The due alerts of every clock and kind (``param(1)``: now, ``param(2)``: the limit), earliest first.

    A clock already breached when it stopped or paused (``<clock>_breached``: a breach is final) gets no warning,
    and a breach only if none was raised for it: resuming it moves its deadline without a second breach.
    ``sla_warning_at`` is the earliest warning of a ticket's pending clocks (passed or not): no later than any
    instant to alert, it narrows the search to its index first."""
    selects = []
    for clock in CLOCKS:
        for kind in KINDS:
            instant = f"t.{clock}_{'warning' if kind == 'warning' else 'due'}_at"
            raised = (
                f"EXISTS (SELECT 1 FROM {alerts_table} a WHERE a.ticket_id = t.id AND a.clock = '{clock}'"
                f" AND a.kind = '{kind}'"
            )
            fresh = f"NOT t.{clock}_breached AND NOT {raised} AND a.due_at = t.{clock}_due_at)"
            if kind == "breached":
                fresh = f"({fresh} OR t.{clock}_breached AND NOT {raised}))"
            selects.append(
                f"SELECT t.id AS ticket_id, t.priority, '{clock}' AS clock, '{kind}' AS kind,"
                f" t.{clock}_due_at AS due_at, t.{clock}_warning_at AS warning_at, {instant} AS instant FROM {table} t"
                f" WHERE t.sla_warning_at <= {param(1)} AND {instant} <= {param(1)}"  # the pending clocks' index
                f" AND t.{clock}_due_at IS NOT NULL AND t.{clock}_met_at IS NULL"
                f" AND t.place NOT IN {CLOSED_PLACES!r} AND {fresh}"
            )
    return " UNION ALL ".join(selects) + f" ORDER BY instant, ticket_id, clock, kind LIMIT {param(2)}"


def alert_of(row: Any, time_in: Any = lambda value: value) -> Alert:
    """An alert from a row of ``sla_alerts`` or of :func:`due_sql` (``time_in`` decodes a stored time)."""
    keys = set(row.keys())

    def time(name: str) -> datetime | None:
        return time_in(row[name]) if name in keys else None

    due_at, instant = time("due_at"), time("instant")
    assert due_at is not None and instant is not None
    return Alert(
        ticket_id=row["ticket_id"],
        clock=row["clock"],
        kind=row["kind"],
        due_at=due_at,
        warning_at=time("warning_at"),
        instant=instant,
        priority=row["priority"],
        raised_at=time("raised_at"),
        seq=row["seq"] if "seq" in keys else 0,
        published_at=time("published_at"),
    )
