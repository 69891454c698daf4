"""The projector keeps going: gaps wait for a store that lags, every supervision error is retried, and liveness
fails once the consuming task has ended."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.integration.projector.conftest import Harness, eventually
from tests.support.scenarios import Ticket
from ticket_eventstore.postgres import PostgresEventStore
from ticket_projector.app import create_app
from ticket_projector.consumer import StreamConsumer
from ticket_projector.projector import Projector, StoreBehind
from ticket_projector.runtime import Runtime
from ticket_workflow import Event


class LaggingStore:
    """A read replica that has not replayed events above ``horizon`` yet."""

    def __init__(self, store: PostgresEventStore, horizon: int) -> None:
        self.store, self.horizon = store, horizon

    async def read_all(self, after: int, limit: int) -> list[Event]:
        return [e for e in await self.store.read_all(after, limit) if (e.position or 0) <= self.horizon]

    async def last_position(self) -> int:
        return min(self.horizon, await self.store.last_position())


async def test_a_gap_the_store_cannot_fill_yet_is_waited_for_never_skipped(harness: Harness) -> None:
    t = Ticket()
    t.create()
    t.run("assign", "start_work", "resolve")
    stored = await harness.append(t.events)
    positions = [e.position or 0 for e in stored]
    replica = LaggingStore(harness.store, horizon=positions[1])
    projector = Projector(harness.read_model, replica)  # type: ignore[arg-type]
    with pytest.raises(StoreBehind):
        await projector.deliver([stored[-1]])  # 1 and 2 come from the replica; 3 is not there yet
    assert await harness.read_model.checkpoint() == positions[1]  # not past the missing event

    consumer = StreamConsumer(
        harness.redis, projector, stream_name="unused", group="unused", consumer="c", max_backoff=0.05
    )
    delivery = asyncio.create_task(consumer.process([(f"{positions[-1]}-0", {})]))
    await asyncio.sleep(0.3)
    assert not delivery.done() and consumer.last_error is not None  # retrying, reported by /ready
    replica.horizon = positions[-1]  # the replica caught up
    assert await asyncio.wait_for(delivery, 10) == [f"{positions[-1]}-0"]
    history = await harness.read_model.history(t.ticket_id)
    assert [h.version for h in history] == [1, 2, 3, 4]


class FailingFirstStart(Runtime):
    """``broker.start()`` fails on the first subscribe (Redis refused, a bug in a library, anything)."""

    failures = 1

    def _broker(self) -> Any:
        broker = super()._broker()
        if self.failures:
            self.failures -= 1

            async def refuse(*_: object, **__: object) -> None:
                raise RuntimeError("broker refused to start")

            broker.start = refuse  # type: ignore[method-assign]
        return broker


async def test_a_failing_first_subscribe_is_retried(harness: Harness) -> None:
    runtime = FailingFirstStart(harness.settings.model_copy(update={"supervise_seconds": 0.2}))
    await runtime.start()
    try:
        await eventually(lambda: _ready(runtime), within=20)
        assert runtime.alive()
    finally:
        await runtime.stop()


async def test_liveness_fails_once_the_consuming_task_has_ended(harness: Harness) -> None:
    async with harness.running() as runtime:
        app = create_app(harness.settings)
        app.state.runtime = runtime
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://projector") as http:
            assert (await http.get("/health")).status_code == 200
            assert runtime._task is not None
            runtime._task.cancel()  # the task is gone, however it went
            await asyncio.wait({runtime._task})
            answer = await http.get("/health")
    assert answer.status_code == 503 and answer.json()["status"] == "dead"


async def _ready(runtime: Runtime) -> bool:
    ok, _ = await runtime.readiness()
    return ok
