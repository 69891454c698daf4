"""Stats by the viewer's time zone: created and resolved tickets per quarter hour (UTC), folded into local days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel


class DayStats(BaseModel):
    day: date
    created: int
    resolved: int


class UnknownTimeZone(ValueError):
    """A time zone the IANA database does not know."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown time zone {name!r}: expected an IANA name such as 'Europe/Berlin' or 'UTC'")
        self.name = name


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; :class:`UnknownTimeZone` when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a name that is no zone file
        raise UnknownTimeZone(name) from exc


BUCKETS_PER_DAY = 100  # quarter hours in the longest local day (25 hours, when clocks go back)


def buckets_to_read(days: int) -> int:
    """How many of the latest quarter-hour buckets hold the latest ``days`` local days with activity in full.

    A local day has at most 100 buckets, so among this many there are ``days + 1`` distinct days, the oldest
    perhaps cut, unless the table has fewer rows (then all of them are read).
    """
    return BUCKETS_PER_DAY * (days + 1)


def per_day(buckets: Iterable[tuple[datetime, int, int]], *, days: int, zone: ZoneInfo) -> list[DayStats]:
    """Quarter-hour counters, newest first (as many as :func:`buckets_to_read` says, or all), folded into the
    latest ``days`` days of ``zone`` with activity, oldest first."""
    totals: dict[date, list[int]] = {}
    for bucket, created, resolved in buckets:
        counts = totals.setdefault(bucket.astimezone(zone).date(), [0, 0])
        counts[0] += created
        counts[1] += resolved
    latest = sorted(totals)[-days:] if days > 0 else []
    return [DayStats(day=d, created=totals[d][0], resolved=totals[d][1]) for d in latest]


class Stats(BaseModel):
    by_place: dict[str, int]
    per_day: list[DayStats]
    median_first_response_seconds: float | None
    median_resolution_seconds: float | None
    open_escalations: int
    total: int

    @classmethod
    def of(
        cls,
        by_place: dict[str, int],
        per_day: list[DayStats],
        *,
        median_first_response: float | None,
        median_resolution: float | None,
    ) -> Stats:
        """The stats from the stored counters and medians; totals and escalations follow from the places."""
        return cls(
            by_place=by_place,
            per_day=per_day,
            median_first_response_seconds=median_first_response,
            median_resolution_seconds=median_resolution,
            open_escalations=by_place.get("escalated", 0),
            total=sum(by_place.values()),
        )
