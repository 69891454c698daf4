"""One suite, both read models' record of operations (``ticket_readmodel.operations``): skips that move the
checkpoint past a halt in one transaction, a halt cleared for a retry, a rebuild's progress."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.contract.test_read_model import apply
from tests.support.scenarios import Ticket
from ticket_eventstore.postgres import create_pool
from ticket_eventstore.sqlite import SqliteDatabase
from ticket_readmodel.operations import NotHalted, PositionMismatch, RebuildProgress, Skip
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.read_model import Halt
from ticket_readmodel.sqlite import SqliteReadModel

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def skip_at(position: int, actor: str = "dana") -> Skip:
    return Skip(
        position=position,
        event_id=f"e{position}",
        event_type="Closeed",
        ticket_id="t1",
        actor=actor,
        reason="bad import",
        skipped_at=NOW,
    )


async def halted_at_second_event(read_model: Any) -> int:
    """One event applied, a halt recorded on the next position; returns that position."""
    t = Ticket()
    t.create()
    t.raw("Closeed")
    await apply(read_model, t.events[:1])
    poison = t.events[1].position or 0
    halt = Halt(
        position=poison, reason="cannot close a new ticket", event_type="Closeed", ticket_id="t1", halted_at=NOW
    )
    await read_model.record_halt(halt)
    return poison


class ProjectionLogContract:
    async def test_nothing_recorded_at_first(self, read_model: Any) -> None:
        log = read_model.operations()
        assert await log.skips() == [] and await log.skipped_positions() == frozenset()
        assert await log.clear_halt() is None and await log.rebuild_progress() is None

    async def test_a_skip_passes_the_halt_in_one_step(self, read_model: Any) -> None:
        log = read_model.operations()
        with pytest.raises(NotHalted):
            await log.skip(skip_at(5))
        poison = await halted_at_second_event(read_model)
        with pytest.raises(PositionMismatch) as mismatch:
            await log.skip(skip_at(poison + 1))
        assert mismatch.value.halt.position == poison
        assert await log.skips() == [] and await read_model.checkpoint() == poison - 1
        await log.skip(skip_at(poison))
        assert await read_model.checkpoint() == poison and await read_model.recorded_halt() is None
        assert await log.skips() == [skip_at(poison)] and await log.skipped_positions() == {poison}
        with pytest.raises(NotHalted):
            await log.skip(skip_at(poison))

    async def test_skips_come_newest_first_and_limited(self, read_model: Any) -> None:
        log = read_model.operations()
        for n in range(3):
            poison = await halted_at_second_event(read_model) if n == 0 else await _next_halt(read_model)
            await log.skip(skip_at(poison, actor=f"op{n}"))
        assert [s.actor for s in await log.skips()] == ["op2", "op1", "op0"]
        assert [s.actor for s in await log.skips(limit=2)] == ["op2", "op1"]

    async def test_clearing_a_halt_returns_it_once(self, read_model: Any) -> None:
        log = read_model.operations()
        poison = await halted_at_second_event(read_model)
        cleared = await log.clear_halt()
        assert cleared is not None and cleared.position == poison
        assert await read_model.recorded_halt() is None and await log.clear_halt() is None
        assert await read_model.checkpoint() == poison - 1  # a retry applies it, the clearing does not

    async def test_the_rebuild_progress_is_kept_and_overwritten(self, read_model: Any) -> None:
        log = read_model.operations()
        running = RebuildProgress(state="running", done=10, total=40, actor="dana", started_at=NOW)
        await log.save_rebuild_progress(running)
        assert await log.rebuild_progress() == running
        finished = running.model_copy(update={"state": "finished", "done": 40, "finished_at": NOW})
        await log.save_rebuild_progress(finished)
        assert await log.rebuild_progress() == finished


async def _next_halt(read_model: Any) -> int:
    """A halt one position after the checkpoint (as the projector records it)."""
    position = int(await read_model.checkpoint()) + 1
    halt = Halt(position=position, reason="r", event_type="Closeed", ticket_id="t1", halted_at=NOW)
    await read_model.record_halt(halt)
    return position


class TestPostgresProjectionLog(ProjectionLogContract):
    @pytest.fixture
    async def read_model(self, database_url: str) -> AsyncIterator[Any]:
        pool = await create_pool(database_url, max_size=4)
        model = PostgresReadModel(pool, "read_model")
        await model.migrate()
        yield model
        await pool.close()


class TestSqliteProjectionLog(ProjectionLogContract):
    @pytest.fixture
    async def read_model(self, tmp_path: Path) -> AsyncIterator[Any]:
        db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
        model = SqliteReadModel(db)
        await model.migrate()
        yield model
        await db.close()

    async def test_a_reset_empties_the_projection_and_keeps_the_skips(self, read_model: Any) -> None:
        log = read_model.operations()
        poison = await halted_at_second_event(read_model)
        await log.skip(skip_at(poison))
        assert await read_model.content_hash() != await _empty_hash(read_model)
        await log.reset()
        assert await read_model.checkpoint() == 0 and await read_model.ticket("t1") is None
        assert await read_model.content_hash() == await _empty_hash(read_model)
        assert await log.skipped_positions() == {poison}


async def _empty_hash(read_model: Any) -> str:
    db = await SqliteDatabase.open(":memory:")
    try:
        other = SqliteReadModel(db)
        await other.migrate()
        return await other.content_hash()
    finally:
        await db.close()
