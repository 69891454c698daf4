"""Service levels in both read models: deadlines stored as events arrive, pauses and reopens, a policy change
re-measuring open tickets only, the list's filter and sort, and the timer's query (rules: ticket_workflow.sla)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.scenarios import Ticket
from ticket_eventstore.postgres import create_pool
from ticket_eventstore.sqlite import SqliteDatabase
from ticket_readmodel.alert_logs import alert_log_of
from ticket_readmodel.alerts import Alert, Outbox
from ticket_readmodel.mapping import FAR_FUTURE, SLA_COLUMNS
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.projection import project_all
from ticket_readmodel.read_model import ReadModel, TicketQuery
from ticket_readmodel.service_levels import sla_at
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_workflow import Event, EventMetadata
from ticket_workflow.streams import SLA_POLICY_STREAM, is_system_stream

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
MIN = timedelta(minutes=1)
HIGH = {"first_response_minutes": 60, "resolution_minutes": 240, "warning_percent": 50}
ROUND_THE_CLOCK = {"targets": {"high": HIGH}}
WORKDAYS = {"time_zone": "Europe/Berlin", "days": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}


class Log:
    """Tickets and policy versions numbered in one log."""

    def __init__(self) -> None:
        self.positions: Iterator[int] = itertools.count(1)
        self.version = 0

    def ticket(self, at: datetime = T0) -> Ticket:
        return Ticket(at=at, positions=self.positions)

    def policy(self, data: dict[str, Any], at: datetime) -> Event:
        self.version += 1
        return Event(
            id=str(uuid.uuid4()),
            stream_id=SLA_POLICY_STREAM,
            type="ServiceLevelPolicySet",
            version=self.version,
            timestamp=at,
            data=data,
            metadata=EventMetadata(actor="root", roles=("admin",)),
            position=next(self.positions),
        )


async def write(model: ReadModel, events: list[Event]) -> None:
    """One projection transaction over ``events``, as the projector runs a batch."""
    async with model.transaction() as tx:
        states = await tx.tickets({e.stream_id for e in events if not is_system_stream(e.stream_id)})
        effects = project_all(events, states)
        await tx.write(effects)
        await tx.advance(effects.position)


async def one_by_one(model: ReadModel, events: list[Event]) -> None:
    for event in events:
        await write(model, [event])


async def clocks(model: ReadModel, ticket_id: str) -> dict[str, Any]:
    row = await model.ticket_row(ticket_id)
    assert row is not None
    values = {c.name: row[c.name] for c in SLA_COLUMNS}
    for c in SLA_COLUMNS:
        if c.kind == "bool":
            values[c.name] = bool(values[c.name])
    return values


def by_time(*events: Event) -> list[Event]:
    return sorted(events, key=lambda e: e.position or 0)


class ServiceLevelContract:
    async def test_deadlines_are_stored_and_the_first_response_is_met(self, read_model: ReadModel) -> None:
        log = Log()
        policy = log.policy(ROUND_THE_CLOCK, T0 - MIN)
        t = log.ticket()
        t.create(priority="high")
        await one_by_one(read_model, [policy, *t.events])
        row = await clocks(read_model, t.ticket_id)
        assert row["first_response_due_at"] == T0 + 60 * MIN
        assert row["first_response_warning_at"] == T0 + 30 * MIN
        assert row["resolution_due_at"] == T0 + 240 * MIN
        assert row["sla_warning_at"] == T0 + 30 * MIN and row["sla_due_at"] == T0 + 60 * MIN
        assert row["sla_policy_version"] == 1
        t.note("internal only")  # an internal note answers nobody
        await one_by_one(read_model, t.events[-1:])
        assert (await clocks(read_model, t.ticket_id))["first_response_met_at"] is None
        t.fire("assign")  # T0 + 10 min: a staff action that answers (EFFECTS)
        await one_by_one(read_model, t.events[-1:])
        row = await clocks(read_model, t.ticket_id)
        assert row["first_response_met_at"] == T0 + 10 * MIN and not row["first_response_breached"]
        assert row["sla_due_at"] == T0 + 240 * MIN  # only the resolution is pending now

    async def test_pending_customer_pauses_and_a_reopen_continues_the_count(self, read_model: ReadModel) -> None:
        log = Log()
        t = log.ticket()
        t.create(priority="high")  # T0
        t.run("assign", "start_work")  # +5, +10
        t.fire("request_info", message="Which floor?")  # +15: paused
        events = [log.policy(ROUND_THE_CLOCK, T0 - MIN), *t.events]
        await write(read_model, sorted(events, key=lambda e: e.position or 0))
        row = await clocks(read_model, t.ticket_id)
        assert row["resolution_paused"] and row["resolution_due_at"] is None and row["resolution_warning_at"] is None
        assert row["resolution_elapsed_seconds"] == 15 * 60
        t.fire("customer_reply", message="Third")  # +20: running again, 5 minutes were not counted
        await write(read_model, t.events[-1:])
        row = await clocks(read_model, t.ticket_id)
        assert not row["resolution_paused"] and row["resolution_due_at"] == T0 + 245 * MIN
        assert row["resolution_running_since"] == T0 + 20 * MIN
        t.fire("resolve", resolution="done")  # +25: stopped, met
        t.fire("close")  # +30
        await write(read_model, t.events[-2:])
        row = await clocks(read_model, t.ticket_id)
        assert row["resolution_met_at"] == T0 + 25 * MIN and not row["resolution_breached"]
        assert row["sla_warning_at"] is None and row["sla_due_at"] == FAR_FUTURE
        t.fire("reopen", reason="again")  # +35: 20 minutes counted so far, 220 left
        await write(read_model, t.events[-1:])
        row = await clocks(read_model, t.ticket_id)
        assert row["resolution_met_at"] is None and row["resolution_due_at"] == T0 + 255 * MIN
        assert row["resolution_elapsed_seconds"] == 20 * 60

    async def test_a_policy_change_re_measures_open_tickets_only(self, read_model: ReadModel) -> None:
        log = Log()
        first = log.policy(ROUND_THE_CLOCK, T0 - MIN)
        done, open_ = log.ticket(), log.ticket(T0 + MIN)
        done.create(priority="high")
        done.run("assign", "start_work", "resolve")  # resolved at +15 under version 1
        open_.create(priority="high")
        await write(read_model, by_time(first, *done.events, *open_.events))
        before = await clocks(read_model, done.ticket_id)
        halved = {"targets": {"high": {"first_response_minutes": 30, "resolution_minutes": 120}}}
        await write(read_model, [log.policy(halved, T0 + 2 * MIN)])
        assert await clocks(read_model, done.ticket_id) == before
        row = await clocks(read_model, open_.ticket_id)
        assert row["sla_policy_version"] == 2
        assert row["first_response_due_at"] == T0 + 31 * MIN and row["first_response_warning_at"] == T0 + 25 * MIN
        assert row["resolution_due_at"] == T0 + 121 * MIN
        record = await read_model.sla_policy()
        assert record is not None and record.version == 2 and record.updated_by == "root"
        assert record.policy.targets["high"].resolution_minutes == 120
        old = await read_model.sla_policy(1)
        assert old is not None and old.policy.targets["high"].resolution_minutes == 240
        done.fire("close")  # a later event on the resolved ticket keeps version 1's results
        await write(read_model, done.events[-1:])
        assert await clocks(read_model, done.ticket_id) == before

    async def test_batches_and_single_events_store_the_same_clocks(
        self, read_model: ReadModel, other_model: ReadModel
    ) -> None:
        log = Log()
        events: list[Event] = [log.policy(ROUND_THE_CLOCK, T0 - MIN)]
        tickets = [log.ticket(T0 + n * MIN) for n in range(3)]
        for t in tickets:
            t.create(priority="high")
        tickets[0].run("assign", "start_work", "request_info", "customer_reply", "resolve")
        events.append(log.policy({"targets": {"high": {"resolution_minutes": 90}}}, T0 + 12 * MIN))
        tickets[1].run("assign", "start_work", "resolve", "close", "reopen")
        tickets[2].reply("on it")
        ordered = by_time(*events, *(e for t in tickets for e in t.events))
        await write(read_model, ordered)
        await one_by_one(other_model, ordered)
        for t in tickets:
            assert await clocks(read_model, t.ticket_id) == await clocks(other_model, t.ticket_id)

    async def test_a_past_version_is_measured_as_the_read_model_measured_it_then(self, read_model: ReadModel) -> None:
        log = Log()
        events: list[Event] = [log.policy(ROUND_THE_CLOCK, T0 - MIN)]
        t = log.ticket()
        t.create(priority="high")
        t.run("assign", "start_work", "request_info")  # paused at +15
        events.append(log.policy({"targets": {"high": {"resolution_minutes": 15}}, "calendar": WORKDAYS}, T0))
        t.run("customer_reply", "resolve", "close")  # resolved late under version 2
        events.append(log.policy({"targets": {"high": {"first_response_minutes": 4}}}, T0 + 40 * MIN))
        t.fire("reopen", reason="again")  # open again: version 3 now, without a resolution target
        t.reply("looking")
        views: dict[int, Any] = {}
        for event in by_time(*events, *t.events):
            await one_by_one(read_model, [event])
            if event.stream_id != t.ticket_id:
                continue
            records = await read_model.sla_policies(before=event.position or 0)
            assert [r.version for r in records] == [e.version for e in events if e.position < event.position]  # type: ignore[operator]
            history = [h.to_event() for h in await read_model.history(t.ticket_id)]
            views[event.version] = view = sla_at(history, records)
            row = await clocks(read_model, t.ticket_id)
            for name in ("first_response", "resolution"):
                stored = {key: row[f"{name}_{key}"] for key in ("target_seconds", "due_at", "warning_at", "met_at")}
                found = view[name] if view is not None else None
                if stored["target_seconds"] is None:
                    assert found is None, (event.version, name)
                else:
                    assert found is not None and {key: found[key] for key in stored} == stored, (event.version, name)
        assert views[4]["resolution"]["status"] == "paused" and views[4]["resolution"]["target_seconds"] == 240 * 60
        resolved = views[6]["resolution"]  # at +25 under version 2: due at +20 (15 minutes, 5 of them paused)
        assert resolved["status"] == "breached"
        assert (resolved["met_at"], resolved["due_at"]) == (T0 + 25 * MIN, T0 + 20 * MIN)
        assert views[7] == views[6]  # closed: still measured by the policy in force at the resolution
        assert views[9]["resolution"] is None and views[9]["first_response"]["status"] == "breached"  # version 3
        assert await read_model.sla_policies(before=1) == []

    async def test_no_policy_or_no_target_means_no_clocks(self, read_model: ReadModel) -> None:
        log = Log()
        t, low = log.ticket(), log.ticket()
        t.create(priority="high")
        await write(read_model, t.events)
        row = await clocks(read_model, t.ticket_id)
        assert row["first_response_target_seconds"] is None and row["sla_policy_version"] is None
        low.create(priority="low")
        await write(read_model, [log.policy(ROUND_THE_CLOCK, T0 + MIN), *low.events])
        assert (await clocks(read_model, low.ticket_id))["resolution_target_seconds"] is None
        assert (await clocks(read_model, t.ticket_id))["resolution_target_seconds"] == 240 * 60

    async def test_the_list_filters_and_sorts_by_service_level(self, read_model: ReadModel) -> None:
        log = Log()
        events = [log.policy(ROUND_THE_CLOCK, T0 - MIN)]
        fresh, late, answered, met, none = (log.ticket(T0 + n * MIN) for n in range(5))
        fresh.create(priority="high")  # FR due +60
        late.create(priority="high")  # FR due +61
        answered.create(priority="high")
        answered.fire("assign")  # FR met; resolution due +242
        met.create(priority="high")
        met.run("assign", "start_work", "resolve")  # both met
        none.create(priority="low")
        events += [e for t in (fresh, late, answered, met, none) for e in t.events]
        await write(read_model, by_time(*events))

        async def ids(**query: Any) -> list[str]:
            found, cursor = [], None
            while True:
                page = await read_model.list_tickets(TicketQuery(limit=2, cursor=cursor, **query))
                found += [t.id for t in page.items]
                if (cursor := page.next_cursor) is None:
                    return found

        now = T0 + 45 * MIN  # past the first-response warnings (+30, +31), before their due
        assert set(await ids(sla="warning", as_of=now)) == {fresh.ticket_id, late.ticket_id}
        assert set(await ids(sla="ok", as_of=now)) == {answered.ticket_id}
        assert set(await ids(sla="met", as_of=now)) == {met.ticket_id}
        assert await ids(sla="breached", as_of=now) == []
        later = T0 + 60 * MIN + timedelta(seconds=30)  # fresh's first response overdue, late's not yet
        assert await ids(sla="breached", as_of=later) == [fresh.ticket_id]
        order = [fresh.ticket_id, late.ticket_id, answered.ticket_id]
        assert (await ids(sort="sla_due"))[:3] == order
        assert set((await ids(sort="sla_due"))[3:]) == {met.ticket_id, none.ticket_id}  # no pending deadline
        assert (await ids(sort="-sla_due"))[2:] == order[::-1]

    async def test_the_timer_query_finds_reached_instants_of_running_clocks(self, read_model: ReadModel) -> None:
        log = Log()
        t, paused = log.ticket(), log.ticket()
        t.create(priority="high")
        paused.create(priority="high")
        paused.run("assign", "start_work", "request_info")
        await write(read_model, by_time(log.policy(ROUND_THE_CLOCK, T0 - MIN), *t.events, *paused.events))
        assert await read_model.sla_pending(T0 + 29 * MIN) == []
        [found] = await read_model.sla_pending(T0 + 30 * MIN)
        assert found.id == t.ticket_id and found.first_response_due_at == T0 + 60 * MIN
        assert found.priority == "high" and found.sla_warning_at == T0 + 30 * MIN
        assert [p.id for p in await read_model.sla_pending(T0 + 10_000 * MIN)] == [t.ticket_id]  # paused: none
        assert len(await read_model.sla_pending(T0 + 10_000 * MIN, limit=0)) == 0

    async def test_the_outbox_counts_what_is_not_published_and_names_the_last_raised_and_published(
        self, read_model: ReadModel
    ) -> None:
        alerts = alert_log_of(read_model)
        assert alerts is not None
        assert await alerts.outbox() == Outbox(0, None, None)

        def alert(ticket: str, kind: str, minutes: int) -> Alert:
            due = T0 + 60 * MIN
            return Alert(ticket, "resolution", kind, due, T0 + 30 * MIN, due, "high", raised_at=T0 + minutes * MIN)  # type: ignore[arg-type]

        first, second, third = (
            await alerts.record([alert("t-1", "warning", 31)]),
            await alerts.record([alert("t-1", "breached", 61)]),
            await alerts.record([alert("t-2", "warning", 62)]),
        )
        assert await alerts.outbox() == Outbox(3, third[0], None)
        await alerts.mark_published([first[0].id, second[0].id], T0 + 63 * MIN)
        outbox = await alerts.outbox()
        assert (outbox.unpublished, outbox.last_raised) == (1, third[0])
        assert outbox.last_published is not None
        assert (outbox.last_published.id, outbox.last_published.seq) == (second[0].id, 2)
        assert (outbox.last_published.kind, outbox.last_published.published_at) == ("breached", T0 + 63 * MIN)
        assert outbox.last_published.raised_at == T0 + 61 * MIN


class TestPostgresServiceLevels(ServiceLevelContract):
    @pytest.fixture
    async def read_model(self, database_url: str) -> AsyncIterator[ReadModel]:
        pool = await create_pool(database_url, max_size=4)
        model = PostgresReadModel(pool, "read_model")
        await model.migrate()
        yield model
        await pool.close()

    @pytest.fixture
    async def other_model(self, database_url: str) -> AsyncIterator[ReadModel]:
        pool = await create_pool(database_url, max_size=2)
        model = PostgresReadModel(pool, "read_model_other")
        await model.migrate()
        yield model
        await pool.close()


class TestSqliteServiceLevels(ServiceLevelContract):
    @pytest.fixture
    async def read_model(self, tmp_path: Path) -> AsyncIterator[ReadModel]:
        db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
        model = SqliteReadModel(db)
        await model.migrate()
        yield model
        await db.close()

    @pytest.fixture
    async def other_model(self, tmp_path: Path) -> AsyncIterator[ReadModel]:
        db = await SqliteDatabase.open(str(tmp_path / "other.db"))
        model = SqliteReadModel(db)
        await model.migrate()
        yield model
        await db.close()
