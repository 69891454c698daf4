"""The projector on the embedded adapters: duplicates skipped, gaps healed from the store, poison halts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.scenarios import Ticket, busy_day, interleaved
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_projector.projector import ProjectionHalted, Projector
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_workflow import Event


@dataclass
class Embedded:
    store: SqliteEventStore
    read_model: SqliteReadModel
    projector: Projector

    async def append(self, events: list[Event]) -> list[Event]:
        stored: list[Event] = []
        for event in events:
            stored += await self.store.append(event.stream_id, event.version - 1, [event])
        return stored


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[Embedded]:
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    store = await SqliteEventStore.create(db)
    read_model = SqliteReadModel(db)
    await read_model.migrate()
    yield Embedded(store, read_model, Projector(read_model, store, attempts=3, sleep=no_sleep))
    await db.close()


async def test_apply_after_each_append_and_duplicates_change_nothing(embedded: Embedded) -> None:
    stored = await embedded.append(interleaved(busy_day()))
    assert await embedded.projector.apply(stored) == stored[-1].position
    before = await embedded.read_model.content_hash()
    assert await embedded.projector.handle(stored[3]) is False
    assert await embedded.projector.apply(stored) == stored[-1].position
    assert await embedded.read_model.content_hash() == before


async def test_a_gap_is_filled_from_the_event_store(embedded: Embedded) -> None:
    stored = await embedded.append(interleaved(busy_day()))
    await embedded.projector.apply(stored[:2])
    assert await embedded.projector.handle(stored[-1]) is True  # everything between came from the store
    assert await embedded.read_model.checkpoint() == stored[-1].position
    incremental = await embedded.read_model.content_hash()
    # the same events one by one in order give the same read model
    fresh = SqliteReadModel(await SqliteDatabase.open(":memory:"))
    await fresh.migrate()
    await Projector(fresh).apply(stored)
    assert await fresh.content_hash() == incremental


async def test_a_poison_event_is_retried_then_halts_without_skipping(embedded: Embedded) -> None:
    t, other = Ticket(), Ticket()
    t.create()
    t.raw("Closeed")  # not enabled in "new": the projection cannot apply it
    other.create()
    stored = await embedded.append([*t.events, *other.events])
    attempts: list[float] = []

    async def count(delay: float) -> None:
        attempts.append(delay)

    projector = Projector(embedded.read_model, embedded.store, attempts=3, retry_delay=0.5, sleep=count)
    with pytest.raises(ProjectionHalted) as raised:
        await projector.apply(stored)
    assert raised.value.halt.position == stored[1].position
    assert raised.value.halt.event_type == "Closeed"
    assert len(attempts) == 2  # tried three times in all
    assert await embedded.read_model.checkpoint() == stored[0].position
    assert await embedded.read_model.ticket(other.ticket_id) is None
    with pytest.raises(ProjectionHalted):
        await projector.handle(stored[2])
    assert await embedded.read_model.checkpoint() == stored[0].position
    # Recorded, so a restarted projector (or /ready after a restart) still knows where and why.
    recorded = await embedded.read_model.recorded_halt()
    assert recorded is not None
    assert (recorded.position, recorded.event_type, recorded.ticket_id) == (stored[1].position, "Closeed", t.ticket_id)


async def test_a_poison_event_inside_a_catch_up_batch_halts_at_its_position(embedded: Embedded) -> None:
    good, bad = Ticket(), Ticket()
    good.create()
    good.run("assign")
    bad.create()
    bad.raw("Resolveed")
    stored = await embedded.append(interleaved([good, bad]))
    poison = next(e for e in stored if e.type == "Resolveed")
    with pytest.raises(ProjectionHalted):
        await embedded.projector.catch_up()
    assert await embedded.read_model.checkpoint() == (poison.position or 0) - 1
    assert embedded.projector.halt is not None and embedded.projector.halt.position == poison.position
