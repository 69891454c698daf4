"""Batches over a real stream: acknowledged only after their commit, replicas, rebuild against incremental."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.projector.conftest import Harness, eventually
from tests.support.scenarios import T0, Ticket, interleaved
from ticket_eventstore import stream
from ticket_projector.consumer import StreamConsumer
from ticket_projector.projector import Projector
from ticket_projector.rebuild import rebuild
from ticket_readmodel.postgres import PostgresReadModel
from ticket_workflow import Event

LIVES = (
    ("assign", "start_work", "resolve", "close"),
    ("assign", "start_work", "escalate", "resolve_escalated", "close", "reopen", "assign"),
    ("assign", "start_work", "request_info", "customer_reply", "resolve"),
    ("assign",),
    (),
)


def many_tickets(count: int) -> list[Ticket]:
    tickets = []
    for n in range(count):
        t = Ticket(requester=f"c{n % 17}", agent=f"a{n % 5}", at=T0 + timedelta(minutes=7 * n))
        t.create(subject=f"Ticket {n}", priority=["low", "normal", "high", "urgent"][n % 4])
        if n % 3 == 0:
            t.reply(f"Looking into it ({n})")
        for transition in LIVES[n % len(LIVES)]:
            data = {"message": f"m{n}"} if transition in ("request_info", "customer_reply") else {}
            if transition == "escalate":
                data = {"reason": f"r{n}"}
            t.fire(transition, **data)
            if n % 4 == 0:  # notes by staff of every rank, some of them from the early hours of a day
                rank = ["agent", "supervisor", "admin"][n % 3]
                t.note(f"n{n}", actor=f"{rank}{n % 8 // 4}", roles=(rank,))
        if n % 7 == 0 and t.place != "closed":  # a closed ticket takes no reply
            t.reply(f"Thanks ({n})", actor=t.requester)
        tickets.append(t)
    return tickets


async def publish_all(harness: Harness, events: list[Event]) -> None:
    pipe = harness.redis.pipeline(transaction=False)
    for event in events:
        pipe.xadd(harness.settings.event_stream, stream.encode(event), id=stream.entry_id(event.position or 0))  # type: ignore[arg-type]
    await pipe.execute()


async def test_killed_between_a_batch_commit_and_its_ack_redelivery_is_a_no_op(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed_unacked: list[Any] = []
    early: list[Any] = []  # entries that would have been acknowledged before their effects were committed

    async def killed_before_acking(self: StreamConsumer, entry_ids: list[Any]) -> None:
        checkpoint = await harness.read_model.checkpoint()
        early.extend(i for i in entry_ids if stream.position_of(i) > checkpoint)
        committed_unacked.extend(entry_ids)  # every batch commits, then the process dies before XACK

    with monkeypatch.context() as patched:
        patched.setattr(StreamConsumer, "ack", killed_before_acking)
        async with harness.running(batch_size=10) as runtime:
            await asyncio.wait_for(_consuming(runtime), 30)  # from here on, events come through the stream only
            stored = await harness.append(interleaved(many_tickets(12)))
            await publish_all(harness, stored)
            await eventually(lambda: _checkpoint_at(harness, stored[-1].position or 0))
    committed = await harness.read_model.content_hash()
    assert len(committed_unacked) == len(stored) == await harness.pending()
    assert early == []

    async with harness.running(batch_size=10):  # restarted: the pending entries come again
        await eventually(lambda: _none_pending(harness))
    assert await harness.read_model.content_hash() == committed
    changes = await harness.read_model.changes_after(0, limit=10_000)
    assert [c.position for c in changes] == [e.position for e in stored]


async def test_a_poison_event_in_a_stream_batch_acks_only_what_came_before_it(harness: Harness) -> None:
    good, bad = Ticket(), Ticket()
    good.create()
    good.run("assign", "start_work")
    bad.create()
    bad.raw("Resolveed")  # not enabled in "new"
    async with harness.running(batch_size=100) as runtime:
        await asyncio.wait_for(_consuming(runtime), 30)
        stored = await harness.append(interleaved([good, bad]))
        poison = next(e for e in stored if e.type == "Resolveed")
        await publish_all(harness, stored)
        await eventually(lambda: _halted(runtime))
        after = [e for e in stored if (e.position or 0) >= (poison.position or 0)]
        await eventually(lambda: _pending_is(harness, len(after)))
    assert await harness.read_model.checkpoint() == (poison.position or 0) - 1


async def test_two_replicas_consuming_batches_apply_every_event_once(harness: Harness) -> None:
    second = harness.settings.consumer_name + "-2"
    async with harness.running(batch_size=7) as one, harness.running(batch_size=7, consumer_name=second) as two:
        await asyncio.wait_for(_consuming(one), 30)
        await asyncio.wait_for(_consuming(two), 30)
        stored = await harness.append(interleaved(many_tickets(60)))
        for start in range(0, len(stored), 25):
            await publish_all(harness, stored[start : start + 25])
        await harness.projected(stored[-1].position)
        await eventually(lambda: _none_pending(harness))
    changes = await harness.read_model.changes_after(0, limit=10_000)
    assert [c.position for c in changes] == [e.position for e in stored]
    fresh = PostgresReadModel(harness.pool, "one_by_one")
    await fresh.migrate()
    for event in stored:
        await Projector(fresh).handle(event)
    assert await harness.read_model.content_hash() == await fresh.content_hash()


async def test_rebuild_of_thousands_of_events_equals_incremental(harness: Harness) -> None:
    stored = await harness.append(interleaved(many_tickets(500)))
    assert len(stored) > 2000
    await Projector(harness.read_model, harness.store, batch_size=97).apply(stored)
    incremental = await harness.read_model.content_hash()
    # small pages, and fewer tickets held than there are, so that rows are written early and read back
    report = await rebuild(
        harness.pool,
        harness.store,
        harness.settings.read_model_schema,
        store_pool=harness.pool,
        page_size=333,
        keep_tickets=120,
    )
    assert (report.checkpoint, report.content_hash) == (stored[-1].position, incremental)
    people = await harness.read_model.people()  # the hash covers them; here they are not nothing
    assert {p.id for p in people} >= {"a0", "agent0", "supervisor1", "admin0"}
    assert sum(p.actions for p in people) == sum(1 for e in stored if e.metadata.roles != ("customer",))
    assert sum(d.created for d in (await harness.read_model.stats(days=366, tz="Pacific/Chatham")).per_day) == 500
    again = await rebuild(harness.pool, harness.store, harness.settings.read_model_schema)  # through the port
    assert again.content_hash == incremental
    async with harness.pool.acquire() as conn:  # the indexes dropped for the replay are all back
        indexes = await conn.fetchval(
            "SELECT count(*) FROM pg_indexes WHERE schemaname = $1", harness.settings.read_model_schema
        )
        await conn.execute('DROP SCHEMA IF EXISTS "check_indexes" CASCADE')
    reference = PostgresReadModel(harness.pool, "check_indexes")
    await reference.migrate()
    assert indexes == await harness.pool.fetchval("SELECT count(*) FROM pg_indexes WHERE schemaname = 'check_indexes'")


async def _consuming(runtime: Any) -> None:
    with contextlib.suppress(Exception):
        await eventually(lambda: _is_consuming(runtime))


async def _is_consuming(runtime: Any) -> bool:
    return bool(runtime.consuming)


async def _checkpoint_at(harness: Harness, position: int) -> bool:
    return await harness.read_model.checkpoint() >= position


async def _none_pending(harness: Harness) -> bool:
    return await harness.pending() == 0


async def _pending_is(harness: Harness, count: int) -> bool:
    return await harness.pending() == count


async def _halted(runtime: Any) -> bool:
    return runtime.projector.halt is not None
