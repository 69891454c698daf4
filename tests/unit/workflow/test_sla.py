"""Service-level clocks against hand-computed examples: business hours over a weekend, a DST change and a
holiday; first response by the net's effects; pause, resolution and reopen; the policy's validation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from tests.support.tickets import AGENT, CUSTOMER, Ticket
from ticket_workflow.hours import Calendar, add_working, working_time
from ticket_workflow.sla import Policy, clocks, evaluate, timeline_of

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = Calendar(time_zone="Europe/Berlin", days=(1, 2, 3, 4, 5), start="09:00", end="17:00")
HOURS = timedelta(hours=1)


def berlin(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)  # type: ignore[misc]


def test_friday_afternoon_plus_four_working_hours_is_monday_noon() -> None:
    due = add_working(OFFICE, berlin(2026, 11, 27, 16, 0), 4 * HOURS)
    assert due == berlin(2026, 11, 30, 12, 0)
    assert working_time(OFFICE, berlin(2026, 11, 27, 16, 0), due) == 4 * HOURS
    assert working_time(OFFICE, berlin(2026, 11, 27, 17, 0), berlin(2026, 11, 30, 9, 0)) == timedelta(0)  # weekend


def test_a_dst_change_over_the_weekend_keeps_the_local_hours() -> None:
    due = add_working(OFFICE, berlin(2026, 3, 27, 16, 0), 4 * HOURS)  # summer time starts Sunday 29 March
    assert due.astimezone(UTC) == datetime(2026, 3, 30, 10, 0, tzinfo=UTC)  # 12:00 CEST (a week before: 11:00 UTC)
    assert add_working(OFFICE, berlin(2026, 3, 20, 16, 0), 4 * HOURS).astimezone(UTC) == datetime(
        2026, 3, 23, 11, 0, tzinfo=UTC
    )
    day_and_night = Calendar(time_zone="Europe/Berlin", days=tuple(range(1, 8)), start="00:00", end="24:00")
    sunday = berlin(2026, 3, 29, 0, 0)
    monday = berlin(2026, 3, 30, 0, 0)
    assert working_time(day_and_night, sunday, monday) == 23 * HOURS  # that local day has 23 hours, all worked
    assert add_working(day_and_night, sunday, 23 * HOURS) == monday


def test_a_holiday_is_not_worked() -> None:
    christmas = OFFICE.model_copy(update={"holidays": (date(2026, 12, 25),)})
    assert add_working(christmas, berlin(2026, 12, 24, 16, 0), 4 * HOURS) == berlin(2026, 12, 28, 12, 0)
    assert add_working(OFFICE, berlin(2026, 12, 24, 16, 0), 4 * HOURS) == berlin(2026, 12, 25, 12, 0)
    assert working_time(christmas, berlin(2026, 12, 25, 8, 0), berlin(2026, 12, 25, 18, 0)) == timedelta(0)


def test_outside_working_hours_the_deadline_starts_counting_at_the_next_opening() -> None:
    assert add_working(OFFICE, berlin(2026, 11, 30, 7, 30), 30 * timedelta(minutes=1)) == berlin(2026, 11, 30, 9, 30)
    assert add_working(OFFICE, berlin(2026, 11, 30, 16, 0), HOURS) == berlin(2026, 11, 30, 17, 0)  # at closing
    assert add_working(None, berlin(2026, 11, 28, 23, 0), HOURS) == berlin(2026, 11, 29, 0, 0)  # round the clock


POLICY = Policy.model_validate(
    {"targets": {"high": {"first_response_minutes": 60, "resolution_minutes": 240, "warning_percent": 75}}}
)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(ticket: Ticket, moment: datetime) -> Ticket:
    """The ticket's next event happens at ``moment``."""
    ticket.step = moment - ticket.clock
    return ticket


def test_first_response_is_the_first_staff_action_that_answers() -> None:
    t = Ticket(at=MONDAY)
    t.create(CUSTOMER, {"subject": "VPN", "priority": "high"})
    at(t, MONDAY + timedelta(minutes=10)).post("internal", AGENT, internal=True)
    at(t, MONDAY + timedelta(minutes=20)).post("anyone there?", CUSTOMER)
    first = clocks(timeline_of(t.events), POLICY).first_response
    assert first is not None and first.met_at is None and first.due_at == MONDAY + HOURS
    assert first.warning_at == MONDAY + timedelta(minutes=45)
    assert first.status(MONDAY + timedelta(minutes=44)) == "ok"
    assert first.status(MONDAY + timedelta(minutes=45)) == "warning"
    assert first.status(MONDAY + HOURS + timedelta(seconds=1)) == "breached"
    at(t, MONDAY + timedelta(minutes=30)).post("looking into it", AGENT)  # a staff reply answers
    first = clocks(timeline_of(t.events), POLICY).first_response
    assert first is not None and first.met_at == MONDAY + timedelta(minutes=30)
    assert first.status(MONDAY + 10 * HOURS) == "met"


def test_pending_customer_pauses_resolution_and_a_reopen_continues_it() -> None:
    t = Ticket(at=MONDAY)
    t.create(CUSTOMER, {"priority": "high"})  # 09:00
    at(t, MONDAY + timedelta(minutes=30)).fire("assign")
    at(t, MONDAY + timedelta(minutes=40)).fire("start_work")
    at(t, MONDAY + HOURS).fire("request_info", data={"message": "Which one?"})  # 10:00 paused, 1 h counted
    resolution = clocks(timeline_of(t.events), POLICY).resolution
    assert resolution is not None and resolution.paused and resolution.due_at is None
    assert resolution.status(MONDAY + 20 * HOURS) == "paused"
    assert resolution.elapsed(MONDAY + 20 * HOURS, None) == HOURS
    at(t, MONDAY + 2.5 * HOURS).fire("customer_reply", CUSTOMER, {"message": "This one"})  # 11:30 again
    resolution = clocks(timeline_of(t.events), POLICY).resolution
    assert resolution is not None and resolution.due_at == MONDAY + 5.5 * HOURS  # 14:30: 90 minutes later
    at(t, MONDAY + 3 * HOURS).fire("resolve", data={"resolution": "done"})  # 12:00: half an hour more, 1.5 h
    at(t, MONDAY + 3.5 * HOURS).fire("close")
    resolution = clocks(timeline_of(t.events), POLICY).resolution
    assert resolution is not None and resolution.met_at == MONDAY + 3 * HOURS
    assert resolution.status(MONDAY + 100 * HOURS) == "met"
    assert resolution.elapsed(MONDAY + 100 * HOURS, None) == 1.5 * HOURS
    at(t, MONDAY + 4 * HOURS).fire("reopen", CUSTOMER, {"reason": "again"})  # 13:00: 2.5 h left
    resolution = clocks(timeline_of(t.events), POLICY).resolution
    assert resolution is not None and resolution.met_at is None and resolution.due_at == MONDAY + 6.5 * HOURS
    assert resolution.warning_at == MONDAY + 5.5 * HOURS  # 3 of the 4 hours: 1.5 before, 1.5 after the reopen
    assert resolution.status(MONDAY + 5.5 * HOURS - timedelta(seconds=1)) == "ok"
    assert resolution.status(MONDAY + 6.5 * HOURS) == "warning"  # on the due instant: not late yet
    assert resolution.status(MONDAY + 6.5 * HOURS + timedelta(seconds=1)) == "breached"


def test_evaluate_writes_the_api_shape_from_the_events_alone() -> None:
    t = Ticket(at=MONDAY)
    t.create(CUSTOMER, {"priority": "high"})
    at(t, MONDAY + 2 * HOURS).fire("assign")  # first response an hour late
    view = evaluate(t.events, POLICY, MONDAY + 2.5 * HOURS)
    assert view is not None and view["status"] == "breached"
    assert view["first_response"] == {
        "due_at": MONDAY + HOURS,
        "warning_at": MONDAY + timedelta(minutes=45),
        "status": "breached",
        "met_at": MONDAY + 2 * HOURS,
        "elapsed_seconds": 7200.0,
        "target_seconds": 3600,
    }
    assert view["resolution"]["status"] == "ok" and view["resolution"]["elapsed_seconds"] == 2.5 * 3600
    assert evaluate(t.events, None, MONDAY) is None
    assert evaluate(t.events, Policy.model_validate({"targets": {"low": {"resolution_minutes": 5}}}), MONDAY) is None


@pytest.mark.parametrize(
    "calendar",
    [
        {"time_zone": "Mars/Olympus", "days": [1], "start": "09:00", "end": "17:00"},
        {"time_zone": "x" * 5000, "days": [1], "start": "09:00", "end": "17:00"},
        {"time_zone": "Europe/../Europe/Berlin", "days": [1], "start": "09:00", "end": "17:00"},
        {"time_zone": "UTC", "days": [0], "start": "09:00", "end": "17:00"},
        {"time_zone": "UTC", "days": [], "start": "09:00", "end": "17:00"},
        {"time_zone": "UTC", "days": [1], "start": "17:00", "end": "09:00"},
        {"time_zone": "UTC", "days": [1], "start": "9:00", "end": "17:00"},
        {"time_zone": "UTC", "days": [1], "start": "09:00", "end": "24:30"},
        {"time_zone": "UTC", "days": [1], "start": "09:00", "end": "17:00", "holidays": ["someday"]},
    ],
)
def test_an_invalid_calendar_is_refused(calendar: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Calendar.model_validate(calendar)


@pytest.mark.parametrize(
    "target", [{"first_response_minutes": 0}, {"resolution_minutes": -1}, {"warning_percent": 0}, {"other": 1}]
)
def test_an_invalid_target_is_refused(target: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Policy.model_validate({"targets": {"high": target}})
