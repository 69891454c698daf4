"""A ticket's ``sla`` as of the read: the stored deadlines (:mod:`ticket_readmodel.service_levels`) judged against
the clock now, so a reader never sees a stale "ok" and the kept renderings (keyed by version) stay valid.

Status and ``elapsed_seconds`` come from :mod:`ticket_workflow.sla` itself: the row's columns are turned back into
its :class:`~ticket_workflow.sla.Clock` (the elapsed time needs the policy's calendar, kept here per version).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from ticket_readmodel.read_model import ReadModel, TicketRow
from ticket_workflow.hours import Calendar, working_time
from ticket_workflow.sla import Clock, Clocks, sla_view

NULL = b"null"
KEPT = 100_000  # first-response times and answers kept
INSTANTS = ("first_response_warning_at", "first_response_due_at", "resolution_warning_at", "resolution_due_at")
DUE = (False, True, False, True)  # late once past the due instant; warned from the warning instant on


class SlaClocks:
    """The calendars of the policy versions the rows name (a version never changes once recorded)."""

    def __init__(self) -> None:
        self._calendars: dict[int, Calendar | None] = {}
        self._answered: dict[tuple[int, datetime, datetime], timedelta] = {}  # first responses' counted time
        self._written: dict[tuple[Any, ...], bytes] = {}  # this second's answers

    async def prepare(self, model: ReadModel, rows: Iterable[TicketRow]) -> None:
        """Read the versions these rows were measured under that are not known here yet."""
        for version in {r["sla_policy_version"] for r in rows} - self._calendars.keys() - {None}:
            record = await model.sla_policy(version)
            self._calendars[version] = record.policy.calendar if record is not None else None

    def render(self, row: TicketRow, now: datetime | None = None) -> bytes:
        """The ``sla`` member's JSON value for ``row`` (``null`` without clocks)."""
        if row["sla_policy_version"] is None:
            return NULL
        now = now or datetime.now(UTC)
        # Written once per second per ticket: the statuses stay exact (the key says which instants have passed),
        # the elapsed times are at most a second old. The clocks change with the ticket's last event or with the
        # policy version they were measured under (a policy change re-measures open tickets: a new version).
        instants = [row[name] for name in INSTANTS]
        passed = tuple(
            at is not None and (now > at if due else now >= at) for at, due in zip(instants, DUE, strict=True)
        )
        key = (row["id"], row["last_position"], row["sla_policy_version"], now.replace(microsecond=0), passed)
        written = self._written.get(key)
        if written is None:
            view = self.view(row, now)
            written = orjson.dumps(view, option=orjson.OPT_UTC_Z) if view is not None else NULL
            if len(self._written) >= KEPT:
                self._written.clear()
            self._written[key] = written
        return written

    def view(self, row: TicketRow, now: datetime) -> dict[str, Any] | None:
        calendar = self._calendars.get(row["sla_policy_version"])
        return sla_view(Clocks(self._first_response(row, calendar), _resolution(row)), now, calendar)

    def _first_response(self, row: TicketRow, calendar: Calendar | None) -> Clock | None:
        target = row["first_response_target_seconds"]
        if target is None:
            return None
        met, created = row["first_response_met_at"], row["created_at"]
        counted = timedelta(0)
        if met is not None:  # a stopped clock: its counted time never changes
            key = (row["sla_policy_version"], created, met)
            counted = self._answered.get(key) or working_time(calendar, created, met)
            if len(self._answered) >= KEPT:
                self._answered.clear()
            self._answered[key] = counted
        return Clock(
            target=timedelta(seconds=target),
            due_at=row["first_response_due_at"],
            warning_at=row["first_response_warning_at"],
            met_at=met,
            breached=bool(row["first_response_breached"]),
            paused=False,
            counted=counted,
            running_since=None if met is not None else created,
        )


def _resolution(row: TicketRow) -> Clock | None:
    target = row["resolution_target_seconds"]
    if target is None:
        return None
    return Clock(
        target=timedelta(seconds=target),
        due_at=row["resolution_due_at"],
        warning_at=row["resolution_warning_at"],
        met_at=row["resolution_met_at"],
        breached=bool(row["resolution_breached"]),
        paused=bool(row["resolution_paused"]),
        counted=timedelta(seconds=row["resolution_elapsed_seconds"]),
        running_since=row["resolution_running_since"],
    )
