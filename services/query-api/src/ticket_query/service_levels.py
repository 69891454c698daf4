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


class SlaClocks:
    """The calendars of the policy versions the rows name (a version never changes once recorded)."""

    def __init__(self) -> None:
        self._calendars: dict[int, Calendar | None] = {}

    async def prepare(self, model: ReadModel, rows: Iterable[TicketRow]) -> None:
        """Read the versions these rows were measured under that are not known here yet."""
        for version in {r["sla_policy_version"] for r in rows} - self._calendars.keys() - {None}:
            record = await model.sla_policy(version)
            self._calendars[version] = record.policy.calendar if record is not None else None

    def render(self, row: TicketRow, now: datetime | None = None) -> bytes:
        """The ``sla`` member's JSON value for ``row`` (``null`` without clocks)."""
        version = row["sla_policy_version"]
        if version is None:
            return NULL
        view = self.view(row, now or datetime.now(UTC))
        return orjson.dumps(view, option=orjson.OPT_UTC_Z) if view is not None else NULL

    def view(self, row: TicketRow, now: datetime) -> dict[str, Any] | None:
        calendar = self._calendars.get(row["sla_policy_version"])
        return sla_view(Clocks(_first_response(row, calendar), _resolution(row)), now, calendar)


def _first_response(row: TicketRow, calendar: Calendar | None) -> Clock | None:
    target = row["first_response_target_seconds"]
    if target is None:
        return None
    met = row["first_response_met_at"]
    counted = working_time(calendar, row["created_at"], met) if met is not None else timedelta(0)
    return Clock(
        target=timedelta(seconds=target),
        due_at=row["first_response_due_at"],
        warning_at=row["first_response_warning_at"],
        met_at=met,
        breached=bool(row["first_response_breached"]),
        paused=False,
        counted=counted,
        running_since=None if met is not None else row["created_at"],
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
