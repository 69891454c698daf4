"""Properties of the service-level clocks, each checked against a simple model written apart from the code: time
counted minute by minute (is this minute worked? where was the ticket's token?) over a horizon of a few days, in
zones and weeks that hold a DST change. Calendars open at 04:00 or later: no zone here changes its clocks then."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.tickets import CUSTOMER, SUPERVISOR, Ticket
from ticket_workflow import Event, fold
from ticket_workflow.hours import Calendar, add_working, working_time
from ticket_workflow.sla import RANK, Policy, clocks, timeline_of

MINUTE = timedelta(minutes=1)
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney")
# Starts a few days before DST changes: Berlin 29 March and 25 October, New York 8 March, Sydney 5 April.
STARTS = [datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 10, 23, tzinfo=UTC)]
STARTS.append(datetime(2026, 4, 3, tzinfo=UTC))
HORIZON = 6 * 24 * 60  # minutes modelled


@st.composite
def calendars(draw: st.DrawFn) -> Calendar | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None  # round the clock
    opens = draw(st.integers(16, 90)) * 15  # 04:00 .. 22:30
    closes = draw(st.integers(opens // 15 + 1, 96)) * 15
    days = draw(st.sets(st.integers(1, 7), min_size=1))
    holidays = draw(st.sets(st.dates(date(2026, 3, 1), date(2026, 11, 1)), max_size=3))
    holidays |= draw(st.sets(st.sampled_from([s.date() + timedelta(days=n) for s in STARTS for n in range(6)])))
    clock = f"{closes // 60:02d}:{closes % 60:02d}"
    return Calendar(
        time_zone=draw(st.sampled_from(ZONES)),
        days=tuple(days),
        start=f"{opens // 60:02d}:{opens % 60:02d}",
        end=clock,
        holidays=tuple(holidays),
    )


def worked(calendar: Calendar | None, minute: datetime) -> bool:
    """The model: is this minute inside the calendar's working hours?"""
    if calendar is None:
        return True
    local = minute.astimezone(ZoneInfo(calendar.time_zone))
    of_day = local.hour * 60 + local.minute
    opens, closes = (int(t[:2]) * 60 + int(t[3:]) for t in (calendar.start, calendar.end))
    return local.isoweekday() in calendar.days and local.date() not in calendar.holidays and opens <= of_day < closes


def counted(calendar: Calendar | None, start: datetime, end: datetime) -> timedelta:
    """The model's working time between two instants on the minute grid."""
    minutes = int((end - start) / MINUTE)
    return MINUTE * sum(worked(calendar, start + n * MINUTE) for n in range(max(0, minutes)))


instants = st.tuples(st.sampled_from(STARTS), st.integers(0, HORIZON - 1)).map(lambda p: p[0] + p[1] * MINUTE)


@settings(max_examples=60, deadline=None)
@given(calendars(), instants, st.integers(0, 3 * 24 * 60))
def test_working_time_is_the_minutes_worked(calendar: Calendar | None, start: datetime, length: int) -> None:
    end = start + length * MINUTE
    assert working_time(calendar, start, end) == counted(calendar, start, end)
    assert working_time(calendar, end, start) == timedelta(0)  # never negative


@settings(max_examples=60, deadline=None)
@given(calendars(), instants, st.integers(1, 24 * 60))
def test_a_deadline_lies_in_working_time_and_is_the_first_instant_that_counts_enough(
    calendar: Calendar | None, start: datetime, minutes: int
) -> None:
    due = add_working(calendar, start, minutes * MINUTE)
    assert worked(calendar, due - MINUTE)  # the last minute counted is a working one: the deadline ends it
    assert counted(calendar, start, due) == minutes * MINUTE
    assert counted(calendar, start, due - MINUTE) < minutes * MINUTE
    assert working_time(calendar, start, due) == minutes * MINUTE  # add, then measure: the same


@settings(max_examples=60, deadline=None)
@given(calendars(), instants, st.integers(1, 10_000_000))
def test_add_then_measure_round_trips_to_the_microsecond(calendar: Calendar | None, start: datetime, ms: int) -> None:
    start += timedelta(microseconds=ms)  # off the minute grid
    duration = timedelta(milliseconds=ms)
    assert working_time(calendar, start, add_working(calendar, start, duration)) == duration


# A ticket's life: gaps (minutes) and which of the enabled transitions (or a message) comes next.
steps = st.lists(st.tuples(st.integers(1, 600), st.integers(0, 9)), min_size=1, max_size=14)


def live(start: datetime, script: list[tuple[int, int]]) -> Ticket:
    ticket = Ticket(at=start)
    ticket.create(CUSTOMER, {"priority": "high"})
    for gap, choice in script:
        ticket.step = gap * MINUTE
        assert ticket.state is not None
        enabled = ticket.state.enabled_transitions
        if choice >= len(enabled) + 2:
            continue
        if choice == len(enabled):
            ticket.post("a word", SUPERVISOR, internal=choice % 2 == 0)
        elif choice == len(enabled) + 1 and ticket.state.place != "closed":
            ticket.post("still broken", CUSTOMER)
        elif choice < len(enabled):
            transition = enabled[choice]
            who = CUSTOMER if transition in ("customer_reply", "reopen") else SUPERVISOR
            ticket.fire(transition, who)
    return ticket


def running_minutes(events: list[Event], calendar: Calendar | None, until: datetime) -> list[bool]:
    """The model of the resolution clock: minute by minute from creation, the token's place (from the folded
    state after each event) outside pending_customer, resolved and closed, in working hours."""
    places = [(e.timestamp, fold(events[: n + 1]).place) for n, e in enumerate(events)]  # type: ignore[union-attr]
    start = events[0].timestamp
    flags, at = [], 0
    for n in range(int((until - start) / MINUTE)):
        minute = start + n * MINUTE
        while at + 1 < len(places) and places[at + 1][0] <= minute:
            at += 1
        flags.append(places[at][1] not in ("pending_customer", "resolved", "closed") and worked(calendar, minute))
    return flags


@settings(max_examples=50, deadline=None)
@given(calendars(), st.sampled_from(STARTS), steps, st.integers(1, 2000), st.integers(1, 99))
def test_the_resolution_clock_counts_what_the_minute_model_counts_and_never_runs_backwards(
    calendar: Calendar | None, start: datetime, script: list[tuple[int, int]], target: int, percent: int
) -> None:
    events = live(start, script).events
    policy = Policy.model_validate(
        {"targets": {"high": {"resolution_minutes": target, "warning_percent": percent}}, "calendar": calendar}
    )
    clock = clocks(timeline_of(events), policy).resolution
    assert clock is not None
    last = events[-1].timestamp
    until = last + 3 * 24 * 60 * MINUTE
    flags = running_minutes(events, calendar, until)
    sums = [0]
    for flag in flags:
        sums.append(sums[-1] + flag)
    previous, rank = timedelta(0), 0
    for n in range(int((last - start) / MINUTE), len(flags) + 1, 37):
        now = start + n * MINUTE
        elapsed = clock.elapsed(now, calendar)
        assert elapsed == sums[n] * MINUTE  # the model's count
        assert elapsed >= previous  # never backwards
        status = clock.status(now)
        assert RANK[status] >= rank or status in ("met", "paused")  # ok -> warning -> breached, never back
        if status in ("ok", "warning", "breached"):
            rank = RANK[status]
        if status == "breached" and not clock.breached:
            assert elapsed >= timedelta(minutes=target)  # late only once the target is used up
        if status in ("ok", "warning"):
            assert elapsed <= timedelta(minutes=target)
        if status == "warning":
            assert elapsed * 100 >= timedelta(minutes=target) * percent - timedelta(seconds=100)
        previous = elapsed
    due = clock.due_at
    if due is not None and clock.met_at is None and clock.running_since is not None and due < until:
        n = int((due - start) / MINUTE)  # running: the model's count reaches the target exactly at due_at
        if sums[n] < target:  # used up before this span (late): due_at is where the span resumed
            assert due == clock.running_since and clock.counted >= timedelta(minutes=target)
        else:
            assert sums[n] == target or due == clock.running_since
            assert sums[n - 1] < target or due == clock.running_since


@settings(max_examples=50, deadline=None)
@given(calendars(), st.sampled_from(STARTS), st.integers(1, 900), st.integers(1, 900), st.integers(1, 900))
def test_pausing_then_resuming_equals_not_counting_the_paused_interval(
    calendar: Calendar | None, start: datetime, before: int, paused: int, after: int
) -> None:
    policy = Policy.model_validate({"targets": {"high": {"resolution_minutes": 5000}}, "calendar": calendar})
    with_pause, without = Ticket(at=start), Ticket(at=start)
    for ticket in (with_pause, without):
        ticket.create(CUSTOMER, {"priority": "high"})
        ticket.step = MINUTE
        ticket.fire("assign", SUPERVISOR)
        ticket.fire("start_work", SUPERVISOR)
    with_pause.step = before * MINUTE
    with_pause.fire("request_info", SUPERVISOR)
    with_pause.step = paused * MINUTE
    with_pause.fire("customer_reply", CUSTOMER)
    pause_start = start + (2 + before) * MINUTE
    pause_end = pause_start + paused * MINUTE
    now = pause_end + after * MINUTE
    a = clocks(timeline_of(with_pause.events), policy).resolution
    b = clocks(timeline_of(without.events), policy).resolution
    assert a is not None and b is not None
    assert a.elapsed(now, calendar) == b.elapsed(now, calendar) - counted(calendar, pause_start, pause_end)
    during = pause_start + (paused // 2) * MINUTE
    assert a.elapsed(during, calendar) == b.elapsed(pause_start, calendar)  # nothing counted while paused
