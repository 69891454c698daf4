"""Working time: the business-hours calendar of a service-level policy, and time counted in it.

Pure: instants in, instants and durations out (times are aware; durations are exact ``timedelta``s, so adding a
duration and measuring it back gives exactly what was added). Rules are listed in :mod:`ticket_workflow.sla`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CLOCK_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$"
CLOCK_TIME = re.compile(CLOCK_PATTERN)
ZONES = sorted(available_timezones() | {"UTC"})  # the names this machine's time-zone database knows
CLOCK_SCHEMA: dict[str, Any] = {"pattern": CLOCK_PATTERN}
MAX_DAYS = 366 * 30  # a deadline further than this from its start is refused as nonsense
MEMO_DAYS = 366 * 20  # working intervals kept per calendar


@dataclass
class Memo:
    owner: int  # id() of the calendar
    zone: ZoneInfo
    days: dict[date, tuple[datetime, datetime] | None] = field(default_factory=dict)  # working intervals
    sums: dict[tuple[date, date], timedelta] = field(default_factory=dict)  # working time of runs of whole days


def minutes_of(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


class Calendar(BaseModel):
    """When the clocks count: ``days`` (ISO weekdays, Monday 1 .. Sunday 7) from ``start`` to ``end`` (local wall
    time of ``time_zone``, ``end`` up to "24:00"), except on ``holidays`` (local dates)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str = Field(
        min_length=1,
        max_length=64,
        description="IANA time zone, such as Europe/Berlin.",
        examples=["Europe/Berlin"],
        json_schema_extra={"enum": list[Any](ZONES)},
    )
    days: tuple[Annotated[int, Field(ge=1, le=7)], ...] = Field(
        min_length=1, max_length=7, description="ISO weekdays: 1 Monday .. 7 Sunday."
    )
    start: str = Field(description='"HH:MM", local time.', examples=["09:00"], json_schema_extra=CLOCK_SCHEMA)
    end: str = Field(
        description='"HH:MM" after start, local time; "24:00" for midnight.',
        examples=["17:00"],
        json_schema_extra=CLOCK_SCHEMA,
    )
    holidays: tuple[date, ...] = Field((), max_length=1000, description='Local dates "YYYY-MM-DD" not worked.')

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name no file system takes
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Europe/Berlin") from None
        return value

    @field_validator("days")
    @classmethod
    def _weekdays(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(d < 1 or d > 7 for d in value):
            raise ValueError("days are ISO weekdays, 1 (Monday) to 7 (Sunday)")
        return tuple(sorted(set(value)))

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not CLOCK_TIME.match(value):
            raise ValueError('a time of day is "HH:MM", from 00:00 to 24:00')
        return value

    @field_validator("holidays")
    @classmethod
    def _sorted(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _start_before_end(self) -> Calendar:
        if minutes_of(self.start) >= minutes_of(self.end):
            raise ValueError("start must be before end")
        return self

    def _memo(self) -> Memo:
        """What this calendar computed already (a copy with other fields starts afresh: it is another object)."""
        held: Memo | None = self.__dict__.get("memo_")
        if held is None or held.owner != id(self):
            held = self.__dict__["memo_"] = Memo(id(self), ZoneInfo(self.time_zone))
        return held

    @property
    def zone(self) -> ZoneInfo:
        return self._memo().zone

    def hours_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The working interval of a local date, in UTC (None on a day off); wall times that a DST change skips
        or repeats are read as the zone reads them (the first of a repeated hour)."""
        memo = self._memo().days
        if day in memo:
            return memo[day]
        hours = None
        if day.isoweekday() in self.days and day not in self.holidays:
            midnight = datetime.combine(day, time(0), tzinfo=self.zone)
            hours = _wall(midnight, minutes_of(self.start)), _wall(midnight, minutes_of(self.end))
        if len(memo) < MEMO_DAYS:
            memo[day] = hours
        return hours

    def whole_days(self, first: date, last: date) -> timedelta:
        """The working time of the local days from ``first`` up to ``last`` (excluded)."""
        sums = self._memo().sums  # reads of a running clock ask the same runs again
        found = sums.get((first, last))
        if found is None:
            found = timedelta(0)
            for n in range((last - first).days):
                hours = self.hours_on(first + timedelta(days=n))
                if hours is not None and hours[1] > hours[0]:
                    found += hours[1] - hours[0]
            if len(sums) >= MEMO_DAYS * 10:
                sums.clear()
            sums[(first, last)] = found
        return found

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def intervals(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC) from the local day holding ``since`` onwards, at most :data:`MAX_DAYS` days."""
        day = self.local_date(since)
        for offset in range(MAX_DAYS):
            hours = self.hours_on(day + timedelta(days=offset))
            if hours is not None:
                yield hours


def _wall(midnight: datetime, minutes: int) -> datetime:
    """The UTC instant of a local wall time ``minutes`` after ``midnight`` (24:00 is the next midnight)."""
    days, rest = divmod(minutes, 24 * 60)
    day = midnight.date() + timedelta(days=days)
    local = datetime.combine(day, time(rest // 60, rest % 60), tzinfo=midnight.tzinfo)
    return local.astimezone(UTC)


def working_time(calendar: Calendar | None, start: datetime, end: datetime) -> timedelta:
    """Time counted between two instants: all of it without a calendar, only working time with one."""
    if end <= start:
        return timedelta(0)
    if calendar is None:
        return end - start
    first, last = calendar.local_date(start), calendar.local_date(end)
    if (last - first).days > 2:  # a day's hours lie within it: the days between count whole
        edges = (calendar.hours_on(first), calendar.hours_on(last))
        return calendar.whole_days(first + timedelta(days=1), last) + sum(
            (_overlap(hours, start, end) for hours in edges), timedelta(0)
        )
    counted = timedelta(0)
    for opens, closes in calendar.intervals(start):
        if opens >= end:
            break
        counted += _overlap((opens, closes), start, end)
    return counted


def _overlap(hours: tuple[datetime, datetime] | None, start: datetime, end: datetime) -> timedelta:
    if hours is None:
        return timedelta(0)
    low, high = max(hours[0], start), min(hours[1], end)
    return high - low if high > low else timedelta(0)


def add_working(calendar: Calendar | None, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant at which ``duration`` of counted time has passed since ``start``; ``start`` itself for
    a duration of zero or less. With a calendar it always lies inside working hours (at their end, when the
    duration runs out exactly then)."""
    if duration <= timedelta(0):
        return start
    if calendar is None:
        return start + duration
    left = duration
    for opens, closes in calendar.intervals(start):
        low = max(opens, start)
        if closes <= low:
            continue
        if left <= closes - low:
            return low + left
        left -= closes - low
    raise ValueError(f"no deadline within {MAX_DAYS} days of {start.isoformat()}")
