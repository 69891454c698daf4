"""The projector's metrics on the embedded adapters: applied events and batches, gap catch-ups, retries and halts
are counted as they happen; the refreshed gauges read the checkpoint, the store, the lag and the halt."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from tests.support.scenarios import Ticket
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_projector.metrics import ProjectorMetrics
from ticket_projector.projector import ProjectionHalted, Projector
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_workflow import Event


@dataclass
class Watched:
    """A projection as the metrics see it (``projector``), with its metrics on a registry of its own."""

    store: SqliteEventStore
    read_model: SqliteReadModel
    projector: Projector
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.metrics = ProjectorMetrics(self.registry)
        self.projector.observers.append(self.metrics)

    def value(self, name: str) -> float:
        found = self.registry.get_sample_value(name)
        assert found is not None, name
        return found

    async def append(self, events: list[Event]) -> list[Event]:
        stored: list[Event] = []
        for event in events:
            stored += await self.store.append(event.stream_id, event.version - 1, [event])
        return stored


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[Watched]:
    db = await SqliteDatabase.open(str(tmp_path / "projector.db"))
    store = await SqliteEventStore.create(db)
    read_model = SqliteReadModel(db)
    await read_model.migrate()
    yield Watched(store, read_model, Projector(read_model, store, attempts=3, sleep=no_sleep))
    await db.close()


def opened(ticket: Ticket, *transitions: str) -> Ticket:
    ticket.create()
    for transition in transitions:
        ticket.run(transition)
    return ticket


async def test_applied_batches_and_a_gap_catch_up_are_counted(watched: Watched) -> None:
    stored = await watched.append(opened(Ticket(), "assign", "start_work").events + opened(Ticket()).events)
    await watched.projector.apply(stored[:2])
    assert watched.value("ticket_projector_events_applied_total") == 2
    assert watched.value("ticket_projector_batch_events_count") == 1
    assert watched.value("ticket_projector_batch_events_sum") == 2
    assert watched.value("ticket_projector_batch_duration_seconds_count") == 1
    assert watched.value("ticket_projector_gap_catchups_total") == 0

    await watched.projector.handle(stored[-1])  # position 3 is missing: read from the store first
    assert watched.value("ticket_projector_gap_catchups_total") == 1
    assert watched.value("ticket_projector_events_applied_total") == 4
    assert watched.value("ticket_projector_retries_total") == 0


async def test_the_gauges_read_the_checkpoint_the_store_and_the_lag(watched: Watched) -> None:
    stored = await watched.append(opened(Ticket(), "assign").events + opened(Ticket()).events)
    await watched.projector.apply(stored[:1])
    await watched.metrics.refresh(watched)
    assert watched.value("ticket_projector_checkpoint_position") == 1
    assert watched.value("ticket_projector_store_position") == 3
    assert watched.value("ticket_projector_behind_positions") == 2
    # the oldest event not applied is the second: its age, seconds at most here
    age = datetime.now(UTC) - stored[1].timestamp
    assert 0 < watched.value("ticket_projector_behind_seconds") <= age.total_seconds() + 1
    assert watched.value("ticket_projector_halted") == 0
    assert watched.value("ticket_projector_metrics_refreshed_timestamp_seconds") > 0

    await watched.projector.apply(stored)
    await watched.metrics.refresh(watched)
    assert watched.value("ticket_projector_behind_positions") == 0
    assert watched.value("ticket_projector_behind_seconds") == 0
    assert watched.value("ticket_projector_checkpoint_position") == 3


async def test_the_lag_in_seconds_is_the_age_of_the_oldest_event_not_applied(watched: Watched) -> None:
    old = opened(Ticket())
    old.events[0] = old.events[0].model_copy(update={"timestamp": datetime.now(UTC) - timedelta(minutes=10)})
    await watched.append(old.events)
    await watched.metrics.refresh(watched)
    assert 600 <= watched.value("ticket_projector_behind_seconds") < 700


async def test_retries_and_a_halt_are_counted_and_the_halt_is_a_gauge_until_it_is_gone(watched: Watched) -> None:
    poisoned = Ticket()
    poisoned.create()
    poisoned.raw("Closeed")  # not enabled in "new": the projection cannot apply it
    stored = await watched.append(poisoned.events)
    with pytest.raises(ProjectionHalted):
        await watched.projector.apply(stored)
    assert watched.value("ticket_projector_retries_total") == 2  # three attempts in all
    assert watched.value("ticket_projector_halts_total") == 1
    assert watched.value("ticket_projector_halted") == 1

    await watched.metrics.refresh(watched)
    assert watched.value("ticket_projector_halted") == 1
    restarted = Watched(watched.store, watched.read_model, Projector(watched.read_model, watched.store))
    await restarted.metrics.refresh(restarted)  # the halt recorded before a restart still counts
    assert restarted.value("ticket_projector_halted") == 1


async def test_nothing_is_read_before_the_projection_has_started(watched: Watched) -> None:
    class NotStarted:
        projector = None

    await watched.metrics.refresh(NotStarted())
    assert watched.value("ticket_projector_metrics_refreshed_timestamp_seconds") == 0
    assert watched.registry.get_sample_value("ticket_projector_pending_entries") is None  # no consumer group
