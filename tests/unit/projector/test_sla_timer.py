"""The service-level timer's rounds on the embedded read model, against a fake clock: each warning and breach is
raised once, at its instant, with no event arriving; nothing for a met, paused or resolved clock; a moved deadline
is a new alert; what was recorded but not published is published by the next round; nothing is alerted past what
the read model has applied."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.tickets import AGENT, T0, Ticket
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_projector.projector import Projector
from ticket_projector.sla_timer import AlertObserver, SlaTimer, WakeOnApply, horizon_of
from ticket_readmodel.alerts import Alert
from ticket_readmodel.alerts_sqlite import SqliteAlertLog
from ticket_readmodel.mapping import stamp
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_workflow import Event


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> None:
        self.now = T0 + timedelta(seconds=seconds)


@dataclass
class Sink:
    entries: list[dict[str, str]] = field(default_factory=list)
    failing: bool = False

    async def publish(self, alerts: Sequence[Alert]) -> None:
        if self.failing:
            raise ConnectionError("redis is down")
        self.entries += [a.entry() for a in alerts]


@dataclass
class Seen(AlertObserver):
    alerts: list[Alert] = field(default_factory=list)

    def raised(self, alert: Alert) -> None:
        self.alerts.append(alert)


@dataclass
class Desk:
    db: SqliteDatabase
    store: SqliteEventStore
    read_model: SqliteReadModel
    timer: SlaTimer
    clock: Clock
    sink: Sink
    seen: Seen

    async def ticket(self, ticket_id: str, *, resolved: bool = False) -> None:
        life = Ticket(ticket_id, at=T0 - timedelta(minutes=10), step=timedelta(seconds=1))
        life.create()
        if resolved:
            for transition in ("assign", "start_work", "resolve"):
                life.fire(transition, AGENT)
        await Projector(self.read_model, self.store).apply(await self.stored(life.events))

    async def stored(self, events: list[Event]) -> list[Event]:
        found: list[Event] = []
        for event in events:
            found += await self.store.append(event.stream_id, event.version - 1, [event])
        return found

    async def deadlines(self, ticket_id: str, clock: str = "resolution", **columns: Any) -> None:
        """Sets a clock's deadline columns as the projection would (seconds after T0; None clears)."""
        values = {f"{clock}_{name}": _at(value) if name.endswith("_at") else value for name, value in columns.items()}
        async with self.db.transaction() as conn:
            await conn.execute(
                f"UPDATE rm_tickets SET {', '.join(f'{name} = ?' for name in values)} WHERE id = ?",
                (*values.values(), ticket_id),
            )
            # As the projection keeps it: the earliest warning of the pending clocks.
            await conn.execute(
                "UPDATE rm_tickets SET sla_warning_at = (SELECT min(w) FROM (SELECT CASE WHEN"
                " first_response_due_at IS NOT NULL AND first_response_met_at IS NULL THEN first_response_warning_at"
                " END AS w UNION ALL SELECT CASE WHEN resolution_due_at IS NOT NULL AND resolution_met_at IS NULL"
                " THEN resolution_warning_at END)) WHERE id = ?",
                (ticket_id,),
            )

    async def round_at(self, seconds: float) -> list[Alert]:
        self.clock.at(seconds)
        before = len(self.seen.alerts)
        await self.timer.round()
        return self.seen.alerts[before:]


def _at(seconds: float | None) -> str | None:
    return stamp(T0 + timedelta(seconds=seconds)) if seconds is not None else None


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    store = await SqliteEventStore.create(db)
    read_model = SqliteReadModel(db)
    await read_model.migrate()
    clock, sink, seen = Clock(), Sink(), Seen()
    timer = SlaTimer(interval=1.0, clock=clock)
    timer.observers.append(seen)
    timer.log, timer.sink, timer.horizon = SqliteAlertLog(db), sink, horizon_of(read_model, store)
    yield Desk(db, store, read_model, timer, clock, sink, seen)
    await db.close()


def kinds(alerts: list[Alert]) -> list[tuple[str, str, str]]:
    return [(a.ticket_id, a.clock, a.type) for a in alerts]


async def test_a_warning_then_a_breach_each_once_at_their_instants_with_no_event(desk: Desk) -> None:
    await desk.ticket("t-1")
    await desk.deadlines("t-1", warning_at=30, due_at=60)
    assert await desk.round_at(29.9) == []
    warned = await desk.round_at(30)
    assert kinds(warned) == [("t-1", "resolution", "ServiceLevelWarning")]
    assert warned[0].raised_at == T0 + timedelta(seconds=30) and warned[0].instant == warned[0].raised_at
    for second in (31, 45, 59.9):
        assert await desk.round_at(second) == []
    breached = await desk.round_at(61.5)
    assert kinds(breached) == [("t-1", "resolution", "ServiceLevelBreached")]
    assert breached[0].raised_at == breached[0].instant + timedelta(seconds=1.5)
    for second in (62, 120, 3600):
        assert await desk.round_at(second) == []
    assert [e["type"] for e in desk.sink.entries] == ["ServiceLevelWarning", "ServiceLevelBreached"]
    entry = desk.sink.entries[1]
    assert entry["id"] == "t-1:resolution:breached:2026-01-01T09:01:00+00:00"
    assert entry == entry | {"ticket_id": "t-1", "clock": "resolution", "priority": "normal"}
    assert entry["due_at"] == "2026-01-01T09:01:00+00:00" and entry["warning_at"] == "2026-01-01T09:00:30+00:00"
    assert entry["raised_at"] == "2026-01-01T09:01:01.500000+00:00"
    listed = await SqliteAlertLog(desk.db).alerts(0, 10)
    assert [a.seq for a in listed] == [1, 2] and all(a.published_at is not None for a in listed)


async def test_both_clocks_of_a_ticket_passed_at_once_are_raised_in_the_order_of_their_instants(desk: Desk) -> None:
    await desk.ticket("t-1")
    await desk.deadlines("t-1", "first_response", warning_at=10, due_at=20)
    await desk.deadlines("t-1", warning_at=15, due_at=40)
    raised = await desk.round_at(100)  # the timer was down: every passed instant is raised once, late
    assert [(a.clock, a.kind) for a in raised] == [
        ("first_response", "warning"),
        ("resolution", "warning"),
        ("first_response", "breached"),
        ("resolution", "breached"),
    ]
    assert await desk.round_at(101) == []


async def test_met_paused_and_resolved_clocks_raise_nothing(desk: Desk) -> None:
    for ticket_id in ("met", "paused", "resolved", "running"):
        await desk.ticket(ticket_id, resolved=ticket_id == "resolved")
    await desk.deadlines("met", warning_at=10, due_at=20, met_at=5)
    await desk.deadlines("paused", warning_at=None, due_at=None, paused=1)  # a paused clock has no deadline
    await desk.deadlines("resolved", warning_at=10, due_at=20)
    await desk.deadlines("running", warning_at=10, due_at=20)
    raised = await desk.round_at(3600)
    assert kinds(raised) == [
        ("running", "resolution", "ServiceLevelWarning"),
        ("running", "resolution", "ServiceLevelBreached"),
    ]


async def test_a_moved_deadline_is_a_new_alert_and_the_old_one_is_not_raised_again(desk: Desk) -> None:
    await desk.ticket("t-1")
    await desk.deadlines("t-1", warning_at=30, due_at=60)
    first = await desk.round_at(61)
    assert [a.kind for a in first] == ["warning", "breached"]
    await desk.deadlines("t-1", warning_at=90, due_at=120)  # a policy change (or a reopen) moved it
    assert await desk.round_at(89) == []
    again = await desk.round_at(120)
    assert [a.kind for a in again] == ["warning", "breached"]
    assert {a.id for a in again}.isdisjoint(a.id for a in first)
    assert [a.due_at for a in again] == [T0 + timedelta(seconds=120)] * 2
    await desk.deadlines("t-1", warning_at=30, due_at=60)  # back to the first deadline: already raised
    assert await desk.round_at(200) == []
    assert len(desk.sink.entries) == 4


async def test_alerts_recorded_while_the_stream_fails_are_published_by_the_next_round_once(desk: Desk) -> None:
    await desk.ticket("t-1")
    await desk.deadlines("t-1", warning_at=30, due_at=60)
    desk.sink.failing = True
    desk.clock.at(31)
    with pytest.raises(ConnectionError):
        await desk.timer.round()
    assert kinds(desk.seen.alerts) == [("t-1", "resolution", "ServiceLevelWarning")]  # recorded, not published
    assert desk.sink.entries == []
    assert [a.published_at for a in await SqliteAlertLog(desk.db).unpublished(10)] == [None]
    desk.sink.failing = False
    assert await desk.round_at(32) == []  # nothing raised twice
    assert [e["type"] for e in desk.sink.entries] == ["ServiceLevelWarning"]
    assert await SqliteAlertLog(desk.db).unpublished(10) == []


async def test_nothing_is_alerted_past_the_first_event_the_read_model_has_not_applied(desk: Desk) -> None:
    await desk.ticket("t-1")
    await desk.deadlines("t-1", warning_at=30, due_at=60)
    life = Ticket("t-2", at=T0 + timedelta(seconds=45))
    life.create()
    await desk.stored(life.events)  # stored at 45 s, not projected: the read model is complete until then
    assert [a.kind for a in await desk.round_at(100)] == ["warning"]
    await Projector(desk.read_model, desk.store).catch_up()
    assert [a.kind for a in await desk.round_at(101)] == ["breached"]


async def test_a_breached_clock_paused_and_resumed_is_not_breached_again(desk: Desk) -> None:
    await desk.ticket("t-1")
    await desk.deadlines("t-1", warning_at=30, due_at=60)
    assert [a.kind for a in await desk.round_at(61)] == ["warning", "breached"]
    await desk.deadlines("t-1", warning_at=None, due_at=None, paused=1, breached=1)  # waits on the customer
    assert await desk.round_at(100) == []
    await desk.deadlines("t-1", warning_at=150, due_at=150, paused=0)  # resumed: due at once, a breach is final
    assert await desk.round_at(200) == []


async def test_a_clock_that_paused_past_its_deadline_unseen_is_breached_once_when_it_resumes(desk: Desk) -> None:
    await desk.ticket("t-1")
    await desk.deadlines("t-1", warning_at=150, due_at=150, breached=1)  # no alert was raised before the pause
    raised = await desk.round_at(151)
    assert [(a.kind, a.due_at) for a in raised] == [("breached", T0 + timedelta(seconds=150))]
    await desk.deadlines("t-1", warning_at=300, due_at=300)  # paused and resumed once more
    assert await desk.round_at(400) == []


async def test_an_applied_batch_wakes_the_timer_at_once(desk: Desk) -> None:
    await desk.ticket("t-1")
    timer = SlaTimer(interval=3600.0, clock=desk.clock)  # it would otherwise look again in an hour
    timer.observers.append(desk.seen)
    timer.start(SqliteAlertLog(desk.db))
    try:
        async with asyncio.timeout(5):
            while timer.status.last_round_at is None:  # noqa: ASYNC110 - the timer's first round
                await asyncio.sleep(0.01)
        await desk.deadlines("t-1", warning_at=-10, due_at=-5)  # a batch set deadlines already passed
        WakeOnApply(timer).applied([], 0.0, 0.0)
        async with asyncio.timeout(5):
            while len(desk.seen.alerts) < 2:  # noqa: ASYNC110 - raised by the timer's task
                await asyncio.sleep(0.01)
    finally:
        await timer.stop()
    assert [a.kind for a in desk.seen.alerts] == ["warning", "breached"]
