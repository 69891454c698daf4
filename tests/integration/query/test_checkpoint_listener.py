"""The query API's one listener per process: waits woken by the projection's NOTIFY instead of polling, idle live
streams that cost the database nothing, and a listener that survives losing its connection without missing an
advance made meanwhile."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from tests.support.asgi import read_stream
from tests.support.scenarios import Ticket, busy_day, interleaved
from ticket_eventstore.postgres import create_pool
from ticket_projector.projector import Projector
from ticket_query.app import create_app
from ticket_query.checkpoints import CheckpointWatch
from ticket_query.listener import APPLICATION_NAME, CheckpointListener
from ticket_query.settings import QuerySettings
from ticket_readmodel.postgres import PostgresReadModel
from ticket_service.auth import AuthSettings, mint_token

SECRET = "integration-secret-integration-secret"


@pytest.fixture
async def read_model(database_url: str) -> AsyncIterator[PostgresReadModel]:
    pool = await create_pool(database_url, max_size=4)
    model = PostgresReadModel(pool, "read_model")
    await model.migrate()
    await Projector(model).apply(interleaved(busy_day()))
    yield model
    await pool.close()


class Counted:
    """A read model that counts the calls the query side makes on it (each one a database round trip)."""

    def __init__(self, inner: PostgresReadModel) -> None:
        self.inner = inner
        self.calls: collections.Counter[str] = collections.Counter()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return await method(*args, **kwargs)

        return counted


async def until(condition: Callable[[], bool], within: float = 10.0) -> None:
    async with asyncio.timeout(within):  # a bound against hanging, not a speed assertion
        while not condition():  # noqa: ASYNC110 - waits on another task's effect
            await asyncio.sleep(0.01)


async def project_one(read_model: PostgresReadModel) -> int:
    ticket = Ticket(requester="dana")
    ticket.create(subject="Projected while the query side waits")
    [event] = interleaved([ticket])
    return await Projector(read_model).apply([event])


async def listening(database_url: str, watch: CheckpointWatch, **options: Any) -> asyncio.Task[None]:
    task = asyncio.create_task(CheckpointListener(database_url, "read_model", watch, **options).run())
    await until(lambda: watch.fed)
    return task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_read_your_writes_wait_is_woken_by_the_notification_not_by_polling(
    database_url: str, read_model: PostgresReadModel
) -> None:
    reads = 0

    async def read() -> int:
        nonlocal reads
        reads += 1
        return await read_model.checkpoint()

    watch = CheckpointWatch(read, poll_seconds=30.0)  # a poll would come far too late for the bound below
    listener = await listening(database_url, watch)
    try:
        before = watch.latest
        assert before == await read_model.checkpoint()
        waiting = asyncio.create_task(watch.wait_for(before + 1, 20.0))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        projected = await project_one(read_model)
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await asyncio.wait_for(waiting, 5.0) == projected
        assert loop.time() - started < 1.0  # woken by the NOTIFY of the projection's commit
        assert reads == 0  # the wait never read the checkpoint itself
    finally:
        await stop(listener)


async def test_the_listener_recovers_from_a_terminated_connection_and_sees_what_it_missed(
    database_url: str, read_model: PostgresReadModel
) -> None:
    watch = CheckpointWatch(read_model.checkpoint, poll_seconds=0.05)
    listener = await listening(database_url, watch, backoff=(1.0, 1.0))
    try:
        admin = await asyncpg.connect(database_url)
        try:
            terminated = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = $1 AND datname = current_database()",
                APPLICATION_NAME,
            )
        finally:
            await admin.close()
        assert terminated == 1
        await until(lambda: not watch.fed)
        # Projected while nobody listens: its NOTIFY reaches no one.
        waiting = asyncio.create_task(watch.wait_for(watch.latest + 1, 20.0))
        projected = await project_one(read_model)
        assert await asyncio.wait_for(waiting, 5.0) == projected  # meanwhile the waits poll: nothing hangs
        await until(lambda: watch.fed)  # reconnected after its backoff, and read the checkpoint again
        assert watch.latest == projected
        again = asyncio.create_task(watch.wait_for(projected + 1, 20.0))
        await asyncio.sleep(0.3)  # fed again: no poll, only a notification can end this wait
        assert not again.done()
        assert watch.fed
        later = await project_one(read_model)
        assert await asyncio.wait_for(again, 5.0) == later  # notified on the new connection
    finally:
        await stop(listener)


async def test_idle_live_streams_make_no_queries_and_share_one_fetch_per_change(
    database_url: str, read_model: PostgresReadModel
) -> None:
    counted = Counted(read_model)
    watch = CheckpointWatch(counted.checkpoint, poll_seconds=0.05)
    listener = await listening(database_url, watch)
    settings = QuerySettings(auth=AuthSettings(secret=SECRET), stream_keepalive_seconds=60)
    app = create_app(settings, read_model=counted, watch=watch)  # type: ignore[arg-type]
    agent = {"Authorization": f"Bearer {mint_token(SECRET, 'bob', ['agent'])}"}
    try:
        streams = [
            asyncio.create_task(read_stream(app, "", agent, lambda body: "event: ticket" in body)) for _ in range(20)
        ]
        await asyncio.sleep(1.0)  # twenty idle streams: before, each read the checkpoint four times a second
        assert not any(s.done() for s in streams)
        assert sum(counted.calls.values()) == 0, counted.calls
        await project_one(read_model)
        answers = await asyncio.wait_for(asyncio.gather(*streams), 10.0)
        assert all(status == 200 and "Projected while the query side waits" in body for status, body in answers)
        assert counted.calls["changes_after"] == 1, counted.calls  # one fetch, fanned out to every stream
        assert counted.calls["checkpoint"] == 0, counted.calls
    finally:
        await stop(listener)
