"""The projection functions: one event and the current row in, the change out."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.scenarios import Ticket, busy_day
from ticket_readmodel.mapping import canonical
from ticket_readmodel.projection import Change, ProjectionError, bucket_of, project, project_all
from ticket_readmodel.read_model import buckets_to_read, per_day, time_zone
from ticket_workflow import CREATED, Event, EventMetadata, TicketState, fold
from ticket_workflow.streams import SLA_POLICY_STREAM


def run(events: list) -> tuple[TicketState | None, list[Change]]:
    state, changes = None, []
    for event in events:
        change = project(event, state)
        changes.append(change)
        state = change.ticket
    return state, changes


def test_creation_makes_the_row_history_and_counts() -> None:
    t = Ticket(requester="alice")
    created = t.create(subject="Printer on fire", priority="urgent", description="Smoke")
    change = project(created, None)
    row = change.ticket
    assert (row.id, row.version, row.place, row.subject, row.priority, row.requester) == (
        t.ticket_id,
        1,
        "new",
        "Printer on fire",
        "urgent",
        "alice",
    )
    assert row.created_at == row.updated_at == created.timestamp
    assert change.history.position == created.position
    assert (change.history.actor, change.history.roles, change.history.transition) == ("alice", ("customer",), None)
    assert change.bucket is not None and (change.bucket.bucket, change.bucket.created, change.bucket.resolved) == (
        datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        1,
        0,
    )
    assert change.place_counts == {"new": 1}


def test_a_transition_moves_the_ticket_between_places() -> None:
    t = Ticket(agent="bob")
    state, _ = run([t.create()])
    change = project(t.fire("assign"), state)
    assert (change.ticket.place, change.ticket.assignee, change.ticket.version) == ("assigned", "bob", 2)
    assert change.place_counts == {"new": -1, "assigned": 1}
    assert change.bucket is None
    assert change.history.transition == "assign"


def test_messages_resolution_and_reopen_are_tracked() -> None:
    t = Ticket()
    t.create()
    t.run("assign", "start_work")
    t.fire("request_info", message="Which floor?")
    t.fire("customer_reply", message="Third")
    resolved = t.fire("resolve", resolution="Done")
    t.run("close", "reopen")
    state, changes = run(t.events)
    assert state is not None
    assert [(m.kind, m.body) for m in state.messages] == [
        ("request_info", "Which floor?"),
        ("customer_reply", "Third"),
        ("resolution", "Done"),
    ]
    assert (state.place, state.reopen_count, state.assignee, state.resolved_at, state.closed_at) == (
        "new",
        1,
        None,
        None,
        None,
    )
    resolving = changes[t.events.index(resolved)]
    assert resolving.bucket is not None and resolving.bucket.resolved == 1
    assert resolving.ticket.resolved_at == resolved.timestamp


def test_the_row_is_what_the_workflow_folds() -> None:
    for ticket in busy_day():
        state, _ = run(ticket.events)
        assert state is not None
        assert canonical(state) == canonical(fold(ticket.events))  # type: ignore[arg-type]


REFUSALS = {
    "before_creation": "no creation event",
    "created_twice": "already created",
    "version_skipped": "expected version 2, the read model is at 1",
    "not_enabled": "not enabled",
    "unknown_type": "unknown event type 'Teleported'",
    "no_position": "no global position",
}


@pytest.mark.parametrize("case", REFUSALS)
def test_events_that_cannot_apply_are_refused_with_their_position(case: str) -> None:
    t = Ticket()
    created = t.create()
    state = project(created, None).ticket
    if case == "before_creation":
        event, current = t.fire("assign"), None
    elif case == "created_twice":
        event, current = t.raw(CREATED, subject="Again", requester=t.requester), state
    elif case == "version_skipped":
        t.fire("assign")
        event, current = t.fire("start_work"), state
    elif case == "not_enabled":
        event, current = t.raw("Closeed"), state
    elif case == "unknown_type":
        event, current = t.raw("Teleported"), state
    else:
        event, current = t.fire("assign").model_copy(update={"position": None}), state
    with pytest.raises(ProjectionError) as raised:
        project(event, current)
    assert REFUSALS[case] in raised.value.reason
    if event.position is None:
        assert raised.value.position == 0  # nothing to halt at: "cannot project event at position None"
        assert "at position None" in str(raised.value)
    else:
        assert raised.value.position == event.position
        assert f"at position {event.position} " in str(raised.value)


ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Pacific/Chatham", "Australia/Lord_Howe")


@given(
    start=st.datetimes(min_value=datetime(1975, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)),
    offsets=st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=6)), min_size=1, max_size=300),
    zone=st.sampled_from(ZONES),
    days=st.integers(min_value=1, max_value=5),
)
def test_quarter_hours_fold_into_the_days_of_any_zone(
    start: datetime, offsets: list[timedelta], zone: str, days: int
) -> None:
    """Counting events per local day directly, or per quarter hour and then folding, gives the same days."""
    moments = [start + offset for offset in offsets]
    buckets: dict[datetime, int] = {}
    for moment in moments:
        bucket = bucket_of(moment)
        assert bucket <= moment < bucket + timedelta(minutes=15) and bucket.minute % 15 == 0
        buckets[bucket] = buckets.get(bucket, 0) + 1
    newest_first = sorted(((b, n, 0) for b, n in buckets.items()), reverse=True)[: buckets_to_read(days)]
    folded = per_day(newest_first, days=days, zone=time_zone(zone))
    direct = Counter(m.astimezone(ZoneInfo(zone)).date() for m in moments)
    assert [(d.day, d.created) for d in folded] == sorted(direct.items())[-days:]


def test_events_of_system_streams_pass_by_the_tickets_and_are_handed_on() -> None:
    """A ``$`` stream is not a ticket: its events touch no ticket row and halt nothing; the batch keeps them."""
    t = Ticket(requester="alice")
    created = t.create(subject="VPN")
    policy = Event(
        id="p-1",
        stream_id=SLA_POLICY_STREAM,
        type="ServiceLevelPolicySet",
        version=1,
        timestamp=created.timestamp,
        data={},
        metadata=EventMetadata(actor="root"),
        position=(created.position or 0) + 1,
    )
    states: dict[str, TicketState] = {}
    effects = project_all([created, policy], states)
    assert list(states) == [t.ticket_id]
    assert [e.id for e in effects.events] == [created.id]
    assert effects.system == [policy]
    assert effects.position == policy.position
