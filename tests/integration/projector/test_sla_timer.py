"""The service-level timer on real PostgreSQL and Redis: of two replicas' timers one leads; when its lock session
dies the other takes over and no alert is raised twice or lost; an alert recorded but not published (a leader that
died in between) is published by the next leader, once; a rebuild keeps the raised alerts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg

from tests.integration.projector.conftest import Harness, eventually
from tests.support.tickets import Ticket
from ticket_projector.projector import Projector
from ticket_projector.rebuild import rebuild
from ticket_projector.sla_stream import PostgresSlaTimer, RedisAlertSink
from ticket_projector.sla_timer import SLA_TIMER_LOCK
from ticket_readmodel.alerts import Alert
from ticket_readmodel.alerts_postgres import PostgresAlertLog


async def open_ticket(h: Harness, ticket_id: str, warning_in: float, due_in: float) -> None:
    """A ticket whose resolution clock warns and falls due that many seconds from now (negative: passed)."""
    life = Ticket(ticket_id, at=datetime.now(UTC) - timedelta(minutes=5), step=timedelta(seconds=1))
    life.create()
    await h.append(life.events)
    await Projector(h.read_model, h.store).catch_up()
    now = datetime.now(UTC)
    warning, due = now + timedelta(seconds=warning_in), now + timedelta(seconds=due_in)
    await h.pool.execute(
        "UPDATE read_model.tickets SET resolution_warning_at = $2, resolution_due_at = $3, resolution_met_at = NULL,"
        " sla_warning_at = $2 WHERE id = $1",
        ticket_id,
        warning,
        due,
    )


async def entries(h: Harness, stream: str | None = None) -> list[dict[str, str]]:
    found: list[tuple[str, dict[str, str]]] = await h.redis.xrange(stream or h.settings.sla_alert_stream)  # type: ignore[assignment]
    return [dict(fields) for _, fields in found]


async def recorded(h: Harness) -> list[Alert]:
    return await PostgresAlertLog(h.pool, h.settings.read_model_schema).alerts(0, 1000)


@contextlib.asynccontextmanager
async def timers(h: Harness, count: int) -> AsyncIterator[list[PostgresSlaTimer]]:
    settings = h.settings.model_copy(
        update={"sla_timer_seconds": 0.1, "sla_alert_stream": h.settings.event_stream + ":sla-alerts"}
    )
    h.settings = settings
    started = [PostgresSlaTimer(settings) for _ in range(count)]
    try:
        for timer in started:
            await timer.start()
        yield started
    finally:
        for timer in started:
            await timer.stop()


def leaders(started: list[PostgresSlaTimer]) -> list[PostgresSlaTimer]:
    return [t for t in started if t.timer.status.leader]


async def test_one_of_two_timers_leads_and_a_takeover_raises_nothing_twice_and_loses_nothing(harness: Harness) -> None:
    h = harness
    async with timers(h, 2) as started:
        await eventually(lambda: _true(len(leaders(started)) == 1))
        await open_ticket(h, "t-1", -2, -1)  # both instants passed: raised at once
        await eventually(lambda: _count(h, 2))
        [leader] = leaders(started)
        [standby] = [t for t in started if t is not leader]
        assert standby.timer.status.raised == 0 and not standby.timer.status.leader

        # Deadlines that pass while the leader's lock session is killed and the other takes over.
        await open_ticket(h, "t-2", 0.5, 1.5)
        admin = await asyncpg.connect(h.settings.database_url)
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND objid = $1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                SLA_TIMER_LOCK & 0xFFFFFFFF,
            )
        finally:
            await admin.close()
        assert killed == 1
        await open_ticket(h, "t-3", 2.5, 3.0)
        await eventually(lambda: _count(h, 6))
        await eventually(lambda: _true(len(leaders(started)) == 1))
        await open_ticket(h, "t-4", -1, 0.2)
        await eventually(lambda: _count(h, 8))
        await eventually(lambda: _unpublished_none(PostgresAlertLog(h.pool, h.settings.read_model_schema)))

    stream = await entries(h)
    ids = [e["id"] for e in stream]
    assert len(ids) == len(set(ids)) == 8, ids
    kept = await recorded(h)
    assert sorted(ids) == sorted(a.id for a in kept)
    assert sorted({(a.ticket_id, a.type) for a in kept}) == [
        (ticket, kind)
        for ticket in ("t-1", "t-2", "t-3", "t-4")
        for kind in ("ServiceLevelBreached", "ServiceLevelWarning")
    ]
    assert all(a.published_at is not None for a in kept), kept
    assert set(stream[0]) == {"id", "type", "ticket_id", "clock", "due_at", "warning_at", "raised_at", "priority"}
    assert sum(t.timer.status.raised for t in started) == 8


async def test_an_alert_recorded_but_not_published_is_published_once_by_the_next_leader(harness: Harness) -> None:
    h = harness
    stream = h.settings.event_stream + ":sla-alerts"
    log = PostgresAlertLog(h.pool, h.settings.read_model_schema)
    now = datetime.now(UTC)
    due = now - timedelta(seconds=10)

    def alert(ticket: str, kind: str) -> Alert:
        return Alert(ticket, "resolution", kind, due, due - timedelta(seconds=5), due, "high", raised_at=now)  # type: ignore[arg-type]

    # A leader died after recording (nothing published), another after publishing but before marking it published.
    lost, half = await log.record([alert("t-1", "warning")]), await log.record([alert("t-2", "breached")])
    await RedisAlertSink(h.redis, stream).publish(half)
    assert [e["id"] for e in await entries(h, stream)] == [half[0].id]
    assert len(await log.unpublished(10)) == 2

    async with timers(h, 1):
        await eventually(lambda: _unpublished_none(log))
    ids = [e["id"] for e in await entries(h, stream)]
    assert ids == [half[0].id, lost[0].id]  # each once: the half-published one is not added again
    assert [a.seq for a in await log.alerts(0, 10)] == [1, 2]


async def test_a_rebuild_keeps_the_raised_alerts_and_their_order(harness: Harness) -> None:
    h = harness
    await open_ticket(h, "t-1", -2, -1)
    async with timers(h, 1):
        await eventually(lambda: _count(h, 2))
    before = await recorded(h)
    await rebuild(h.pool, h.store, h.settings.read_model_schema, content_hash=False)
    assert await recorded(h) == before
    await open_ticket(h, "t-2", -2, -1)  # alerted after the rebuild: the order goes on
    async with timers(h, 1):
        await eventually(lambda: _count(h, 4))
    assert [a.seq for a in await recorded(h)] == [1, 2, 3, 4]
    assert len(await entries(h)) == 4


async def _count(h: Harness, expected: int) -> bool:
    return len(await entries(h)) >= expected and len(await recorded(h)) >= expected


async def _unpublished_none(log: PostgresAlertLog) -> bool:
    return await log.unpublished(10) == []


async def _true(value: bool) -> bool:
    return value
