"""Service levels on real PostgreSQL: the live projector (through Redis) and a rebuild from the store alone
store the same deadlines, policy changes included, whether the rebuild holds every ticket or writes rows early."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.projector.conftest import Harness
from tests.support.scenarios import Ticket
from ticket_projector.rebuild import rebuild
from ticket_readmodel.mapping import SLA_COLUMNS
from ticket_workflow import Event, EventMetadata
from ticket_workflow.streams import SLA_POLICY_STREAM

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
OFFICE = {"time_zone": "Europe/Berlin", "days": [1, 2, 3, 4, 5], "start": "09:00", "end": "17:00"}


def policy(version: int, at: datetime, data: dict[str, Any]) -> Event:
    return Event(
        id=str(uuid.uuid4()),
        stream_id=SLA_POLICY_STREAM,
        type="ServiceLevelPolicySet",
        version=version,
        timestamp=at,
        data=data,
        metadata=EventMetadata(actor="root", roles=("admin",)),
    )


def history() -> tuple[list[Event], list[Ticket]]:
    """Thirty tickets in all the net's places, with the policy set, then changed half-way through."""
    first = policy(
        1,
        T0,
        {
            "targets": {
                p: {"first_response_minutes": 60, "resolution_minutes": 480}
                for p in ("low", "normal", "high", "urgent")
            },
            "calendar": OFFICE,
        },
    )
    second = policy(
        2, T0 + timedelta(hours=5), {"targets": {"high": {"first_response_minutes": 15, "resolution_minutes": 120}}}
    )
    lives = [
        [],
        ["assign"],
        ["assign", "start_work"],
        ["assign", "start_work", "request_info"],
        ["assign", "start_work", "request_info", "customer_reply"],
        ["assign", "start_work", "resolve"],
        ["assign", "start_work", "resolve", "close", "reopen"],
        ["assign", "start_work", "escalate"],
    ]
    tickets = []
    for n in range(30):
        t = Ticket(requester=f"c{n}", at=T0 + timedelta(minutes=17 * n), step=timedelta(minutes=23))
        t.create(priority=("high", "normal", "urgent")[n % 3])
        for transition in lives[n % len(lives)]:
            t.fire(transition, message="x") if transition in ("request_info", "customer_reply") else t.fire(transition)
        tickets.append(t)
    ordered = sorted((e for t in tickets for e in t.events), key=lambda e: e.timestamp)
    ordered.insert(0, first)
    ordered.insert(next(i for i, e in enumerate(ordered) if e.timestamp > second.timestamp), second)
    return ordered, tickets


async def clocks(harness: Harness) -> dict[str, tuple[Any, ...]]:
    names = ", ".join(c.name for c in SLA_COLUMNS)
    q = f'"{harness.settings.read_model_schema}"'
    rows = await harness.pool.fetch(f"SELECT id, {names}, sla_intervals FROM {q}.tickets ORDER BY id")
    policies = await harness.pool.fetch(f"SELECT * FROM {q}.sla_policies ORDER BY version")
    return {r["id"]: tuple(r.values()) for r in rows} | {f"policy {p['version']}": tuple(p.values()) for p in policies}


async def test_the_live_projection_and_a_rebuild_store_the_same_deadlines(harness: Harness) -> None:
    events, tickets = history()
    stored = await harness.append(events)
    async with harness.running():
        await harness.publish(stored)
        await harness.projected(stored[-1].position)
        live = await clocks(harness)
        assert len(live) == 32 and sum(r[1] == 2 for r in live.values() if len(r) > 6) > 0  # version 2 applied
        for keep in (3, 100_000):  # rows written early (re-measured at the end), or all held to the end
            report = await rebuild(
                harness.pool, harness.store, harness.settings.read_model_schema, page_size=11, keep_tickets=keep
            )
            assert report.checkpoint == stored[-1].position
            assert await clocks(harness) == live
    # By hand: version 2 has targets for high only and no calendar; it applies to the tickets open when it came.
    normal = await harness.read_model.ticket_row(tickets[1].ticket_id)  # n = 1: normal, assigned, open
    assert normal is not None and normal["sla_policy_version"] is None and normal["first_response_due_at"] is None
    high = await harness.read_model.ticket_row(tickets[0].ticket_id)  # n = 0: high, created 08:00, still new
    assert high is not None and high["sla_policy_version"] == 2
    assert high["first_response_due_at"] == T0 + timedelta(minutes=15)  # round the clock under version 2
    done = await harness.read_model.ticket_row(tickets[5].ticket_id)  # n = 5: urgent, resolved 10:34 UTC
    assert done is not None and done["sla_policy_version"] == 1  # resolved before the change: version 1's results
    # Created 09:25 UTC = 10:25 CET, Monday: 60 working minutes under version 1's office hours.
    assert done["first_response_due_at"] == T0 + timedelta(minutes=85 + 60)
