"""The process's checkpoint watch: fed waits sleep until an advance, unfed ones share a slow poll, and the
embedded mode feeds it from the in-process projection."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.scenarios import busy_day, interleaved
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_projector import ProjectingStore
from ticket_projector.projector import Projector
from ticket_query.checkpoints import CheckpointWatch
from ticket_readmodel.sqlite import SqliteReadModel


class Checkpoint:
    """A checkpoint that counts how often it is read."""

    def __init__(self, position: int = 0) -> None:
        self.position = position
        self.reads = 0

    async def read(self) -> int:
        self.reads += 1
        await asyncio.sleep(0)
        return self.position


async def test_fed_waits_sleep_until_the_checkpoint_moves() -> None:
    checkpoint = Checkpoint(5)
    watch = CheckpointWatch(checkpoint.read, poll_seconds=0.01)
    watch.advance(5)
    watch.feeding(True)
    waits = [asyncio.create_task(watch.wait_for(7, 10.0)) for _ in range(50)]
    await asyncio.sleep(0.1)
    watch.advance(6)
    await asyncio.sleep(0.01)
    assert not any(w.done() for w in waits)
    watch.advance(7)
    assert await asyncio.wait_for(asyncio.gather(*waits), 1.0) == [7] * 50
    assert checkpoint.reads == 0  # ten poll periods passed: none was used
    assert await watch.current() == 7 and checkpoint.reads == 0


async def test_a_fed_wait_ends_at_its_bound_with_the_position_reached() -> None:
    watch = CheckpointWatch(Checkpoint().read)
    watch.feeding(True)
    watch.advance(3)
    assert await watch.wait_for(4, 0.05) == 3
    assert await watch.wait_for(2, 0.0) == 3


async def test_unfed_waits_poll_slowly_and_share_each_read() -> None:
    checkpoint = Checkpoint(1)
    watch = CheckpointWatch(checkpoint.read, poll_seconds=0.1)
    waits = [asyncio.create_task(watch.wait_for(2, 10.0)) for _ in range(100)]
    await asyncio.sleep(0.45)
    assert checkpoint.reads <= 8  # about one read per poll period for all hundred waits together
    checkpoint.position = 2
    assert await asyncio.wait_for(asyncio.gather(*waits), 1.0) == [2] * 100


async def test_losing_the_feed_turns_sleeping_waits_into_polling_ones() -> None:
    checkpoint = Checkpoint(1)
    watch = CheckpointWatch(checkpoint.read, poll_seconds=0.02)
    watch.advance(1)
    watch.feeding(True)
    forever = asyncio.create_task(watch.wait_for(2, None))  # a live stream waits without a bound
    await asyncio.sleep(0.05)
    checkpoint.position = 2  # advanced while the notification is lost with the connection
    watch.feeding(False)
    assert await asyncio.wait_for(forever, 1.0) == 2


async def test_the_embedded_projection_feeds_the_watch(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    try:
        store, read_model = await SqliteEventStore.create(db), SqliteReadModel(db)
        await read_model.migrate()
        watch = CheckpointWatch(read_model.checkpoint, poll_seconds=60.0)
        watch.feeding(True)
        appending = ProjectingStore(store, Projector(read_model, store), watch.advance)
        [first, *_] = interleaved(busy_day())
        waiting = asyncio.create_task(watch.wait_for(1, 10.0))
        [stored] = await appending.append(first.stream_id, 0, [first])
        assert await asyncio.wait_for(waiting, 1.0) == stored.position == await read_model.checkpoint()
    finally:
        await db.close()
