"""The deliveries queue on PostgreSQL: per-ticket order, parallel tickets, leases that expire after a crash, the
checkpoint, alerts queued once, and the disabling policy."""

from __future__ import annotations

import asyncio

import pytest

from ticket_webhooks.queue import Outcome, Policy

from .conftest import Core

pytestmark = pytest.mark.integration

OK = Outcome(True, 204, 3.0, "")
DOWN = Outcome(False, 500, 3.0, "boom")
POLICY = Policy(failures=20, hours=24)


async def test_one_delivery_at_a_time_per_ticket_and_endpoint_every_ticket_at_once(core: Core) -> None:
    first = await core.endpoint("http://127.0.0.1:9/a")
    await core.endpoint("http://127.0.0.1:9/b", ["Created"])
    events = await core.append(("t-a", 3), ("t-b", 2))
    await core.queue.start_at(0)
    assert await core.queue.ingest_events(events, events[-1].position or 0) == 5 + 2

    heads = await core.queue.claim(50, 60)
    assert sorted((c.endpoint_id == first, c.ticket_id, c.position) for c in heads) == sorted(
        [(True, "t-a", 1), (True, "t-b", 2), (False, "t-a", 1), (False, "t-b", 2)]
    )
    assert await core.queue.claim(50, 60) == []  # the rest wait behind their ticket's head (leased)

    a1 = next(c for c in heads if c.endpoint_id == first and c.ticket_id == "t-a")
    await core.queue.record(a1, DOWN, 0.0, POLICY)  # failed, to be retried: the next of t-a still waits
    again = await core.queue.claim(50, 60)
    assert [(c.seq, c.attempts) for c in again] == [(a1.seq, 1)]
    await core.queue.record(again[0], DOWN, None, POLICY)  # finally failed: the next of t-a may go
    nexts = await core.queue.claim(50, 60)
    assert [(c.ticket_id, c.position) for c in nexts] == [("t-a", 3)]


async def test_a_lease_not_recorded_expires_and_the_delivery_is_claimed_again(core: Core) -> None:
    await core.endpoint("http://127.0.0.1:9/a")
    events = await core.append(("t-a", 1))
    await core.queue.start_at(0)
    await core.queue.ingest_events(events, 1)
    claimed = await core.queue.claim(5, 0.2)
    assert len(claimed) == 1 and await core.queue.claim(5, 0.2) == []
    await asyncio.sleep(0.3)  # the process that claimed it died mid-attempt
    assert [c.seq for c in await core.queue.claim(5, 60)] == [claimed[0].seq]


async def test_ingesting_twice_queues_once_and_the_checkpoint_moves_in_the_same_transaction(core: Core) -> None:
    await core.endpoint("http://127.0.0.1:9/a", from_position=1)  # registered after the first event
    events = await core.append(("t-a", 3))
    await core.queue.start_at(0)
    assert await core.queue.ingest_events(events[:2], 2) == 1
    assert await core.queue.checkpoint() == 2
    await core.endpoint("http://127.0.0.1:9/b")  # sees nothing at or below the checkpoint, ever
    assert await core.queue.ingest_events(events, 3) == 2  # the third event, for both endpoints
    assert await core.queue.ingest_events(events, 3) == 0
    assert await core.queue.checkpoint() == 3
    assert sorted(c.position or 0 for c in await core.queue.claim(10, 60)) == [2, 3]


async def test_an_alert_is_queued_once_however_often_it_is_read(core: Core) -> None:
    await core.endpoint("http://127.0.0.1:9/a", ["ServiceLevelBreached"])
    await core.endpoint("http://127.0.0.1:9/b", ["ServiceLevelWarning"])
    alert = {
        "id": "t-a:resolution:breached:2026-11-28T10:00:00+00:00",
        "type": "ServiceLevelBreached",
        "ticket_id": "t-a",
        "clock": "resolution",
        "due_at": "2026-11-28T10:00:00+00:00",
        "warning_at": "2026-11-28T09:48:00+00:00",
        "raised_at": "2026-11-28T10:00:01+00:00",
        "priority": "high",
    }
    assert await core.queue.ingest_alert("1-0", alert) == 1
    assert await core.queue.ingest_alert("2-0", alert) == 0  # republished by the timer's outbox
    claimed = await core.queue.claim(10, 60)
    assert [(c.event_type, c.ticket_id, c.position, c.alert) for c in claimed] == [
        ("ServiceLevelBreached", "t-a", None, alert)
    ]


async def test_an_endpoint_is_disabled_after_a_run_of_final_failures_and_a_success_resets_the_run(
    core: Core,
) -> None:
    endpoint = await core.endpoint("http://127.0.0.1:9/a")
    events = await core.append(("t-a", 1), ("t-b", 1), ("t-c", 1), ("t-d", 1))
    await core.queue.start_at(0)
    await core.queue.ingest_events(events, 4)
    policy = Policy(failures=2, hours=24)
    a, b, c, d = sorted(await core.queue.claim(10, 60), key=lambda x: x.position or 0)
    assert await core.queue.record(a, DOWN, None, policy) is None
    assert await core.queue.record(b, OK, None, policy) is None  # the run is broken
    assert await core.queue.record(c, DOWN, None, policy) is None
    reason = await core.queue.record(d, DOWN, None, policy)
    assert reason is not None and "2 deliveries in a row" in reason
    shown = await core.endpoints.get(endpoint)
    assert shown is not None and (shown["enabled"], shown["failure_streak"]) == (False, 2)


async def test_failing_for_hours_disables_too(core: Core) -> None:
    endpoint = await core.endpoint("http://127.0.0.1:9/a")
    events = await core.append(("t-a", 1))
    await core.queue.start_at(0)
    await core.queue.ingest_events(events, 1)
    async with core.pool.acquire() as conn:
        await conn.execute(
            "UPDATE webhooks.endpoints SET failing_since = now() - interval '5 hours' WHERE id = $1", endpoint
        )
    (claimed,) = await core.queue.claim(10, 60)
    reason = await core.queue.record(claimed, DOWN, 30.0, Policy(failures=20, hours=4))
    assert reason is not None and "for 5.0 hours" in reason
