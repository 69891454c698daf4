"""Exactly-once effects over a real stream: duplicates, crashes between commit and ack, lost entries, replicas."""

from __future__ import annotations

import asyncio

from tests.integration.projector.conftest import Harness, eventually
from tests.support.scenarios import Ticket, busy_day, interleaved
from ticket_eventstore import stream
from ticket_projector.projector import Projector
from ticket_projector.runtime import Runtime


async def test_an_event_delivered_twice_changes_the_read_model_once(harness: Harness) -> None:
    t = Ticket()
    t.create()
    t.run("assign", "start_work")
    stored = await harness.append(t.events)
    async with harness.running():
        await harness.publish(stored)
        await harness.projected(stored[-1].position)
        once = await harness.read_model.content_hash()
        # the same event again, as a later entry (a republish, a replayed backup...)
        await harness.publish([stored[1]], entry_id=f"{stored[-1].position}-1")
        [later] = await harness.append([t.fire("resolve")])
        await harness.publish([later])
        await harness.projected(later.position)
        await eventually(lambda: _none_pending(harness))
    history = await harness.read_model.history(t.ticket_id)
    assert [h.version for h in history] == [1, 2, 3, 4]
    stats = await harness.read_model.stats()
    assert (stats.per_day[0].created, stats.by_place) == (1, {"resolved": 1})
    assert once != await harness.read_model.content_hash()


async def test_killed_between_commit_and_ack_then_restarted_leaves_no_duplicate(harness: Harness) -> None:
    s = harness.settings
    stored = await harness.append(interleaved(busy_day()))
    await harness.redis.xgroup_create(s.event_stream, s.projector_group, id="0", mkstream=True)
    await harness.publish(stored)
    # The replica reads the entries and commits their effects, then dies before acknowledging any of them.
    reply = await harness.redis.xreadgroup(s.projector_group, s.consumer_name, {s.event_stream: ">"}, count=100)
    delivered = [stream.decode(fields) for _, fields in reply[0][1]]
    await Projector(harness.read_model).apply(delivered)
    assert await harness.pending() == len(stored)
    committed = await harness.read_model.content_hash()

    async with harness.running() as runtime:  # the same replica restarts
        await eventually(lambda: _none_pending(harness))
        await eventually(lambda: _ready(runtime))
        _, ready = await runtime.readiness()
    assert ready["checkpoint"] == stored[-1].position and ready["lag"] == 0
    assert await harness.read_model.content_hash() == committed
    assert sum(d.created for d in (await harness.read_model.stats()).per_day) == 3


async def test_a_lost_range_of_entries_is_healed_from_the_event_store(harness: Harness) -> None:
    tickets = busy_day()
    stored = await harness.append(interleaved(tickets))
    async with harness.running():
        await harness.publish(stored[:3])
        await harness.projected(stored[2].position)
        await harness.publish(stored[-2:])  # everything in between never reaches (or was trimmed from) Redis
        await harness.projected(stored[-1].position)
    for t in tickets:
        history = await harness.read_model.history(t.ticket_id)
        assert [h.event_id for h in history] == [e.id for e in t.events]


async def test_entries_deleted_after_delivery_are_healed_too(harness: Harness) -> None:
    s = harness.settings
    stored = await harness.append(interleaved(busy_day()))
    await harness.redis.xgroup_create(s.event_stream, s.projector_group, id="0", mkstream=True)
    await harness.publish(stored)
    await harness.redis.xreadgroup(s.projector_group, s.consumer_name, {s.event_stream: ">"}, count=100)
    await harness.redis.xdel(s.event_stream, *[stream.entry_id(e.position or 0) for e in stored[2:6]])
    async with harness.running():
        await harness.projected(stored[-1].position)
        await eventually(lambda: _none_pending(harness))
    assert len(await harness.read_model.changes_after(0, limit=1000)) == len(stored)


async def test_two_replicas_apply_every_event_once_and_in_order(harness: Harness) -> None:
    tickets = [Ticket(requester=f"c{n}") for n in range(8)]
    for t in tickets:
        t.create()
        t.run("assign", "start_work", "resolve", "close")
    events = interleaved(tickets)
    stored = await harness.append(events)
    async with harness.running(), harness.running(consumer_name=harness.settings.consumer_name + "-2"):
        for event in stored:
            await harness.publish([event])
            await asyncio.sleep(0)
        await harness.projected(stored[-1].position)
        await eventually(lambda: _none_pending(harness))
    changes = await harness.read_model.changes_after(0, limit=1000)
    assert [c.position for c in changes] == [e.position for e in stored]
    stats = await harness.read_model.stats()
    assert stats.by_place == {"closed": 8}
    assert sum(d.created for d in stats.per_day) == 8 and sum(d.resolved for d in stats.per_day) == 8


async def test_events_never_published_are_caught_up_from_the_event_store(harness: Harness) -> None:
    async with harness.running(supervise_seconds=0.02) as runtime:
        await eventually(lambda: _ready(runtime))  # started and caught up: from now on it relies on the stream
        stored = await harness.append(interleaved(busy_day()))
        await harness.publish(stored[:3])
        # The rest never reaches Redis (lost with a Redis restart, say) and no later entry reveals the gap.
        await harness.projected(stored[-1].position)
        await eventually(lambda: _ready(runtime))
    assert len(await harness.read_model.changes_after(0, limit=1000)) == len(stored)


async def test_a_stream_lost_while_running_is_subscribed_again(harness: Harness) -> None:
    first, later = Ticket(), Ticket()
    first.create()
    later.create()
    [created] = await harness.append(first.events)
    async with harness.running(supervise_seconds=0.02) as runtime:
        await eventually(lambda: _ready(runtime))
        await harness.publish([created])
        await harness.projected(created.position)
        await harness.redis.delete(harness.settings.event_stream)  # Redis lost the stream and its group
        [next_one] = await harness.append(later.events)
        await harness.publish([next_one])  # the relay publishes into a new stream, without the group
        await harness.projected(next_one.position)
        await eventually(lambda: _ready(runtime))
        await eventually(lambda: _none_pending(harness))
        [reopened] = await harness.append([later.fire("assign")])
        await harness.publish([reopened])  # consumed through the group again
        await harness.projected(reopened.position)
        await eventually(lambda: _none_pending(harness))
    assert await harness.read_model.checkpoint() == reopened.position


async def _ready(runtime: Runtime) -> bool:
    ok, _ = await runtime.readiness()
    return ok


async def _none_pending(harness: Harness) -> bool:
    return await harness.pending() == 0
