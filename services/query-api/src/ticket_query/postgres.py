"""The query API on PostgreSQL: what its lifespan opens (:func:`open_postgres`), set on its
:class:`~ticket_query.parts.Parts` at startup.

The read model's connections (``DATABASE_URL``, ``READ_MODEL_SCHEMA``), the process's checkpoint listener feeding
the watch, and, for the lag on ``/ready``, the event store (``EVENT_STORE_URL``, default ``DATABASE_URL``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import cast

import asyncpg

from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_readmodel.postgres import PostgresReadModel
from ticket_workflow.ports import StoreUnavailable

from .connections import ReadConnections
from .listener import CheckpointListener
from .parts import Parts
from .settings import QuerySettings


def open_postgres(settings: QuerySettings) -> Callable[[Parts], AbstractAsyncContextManager[None]]:
    """Opens PostgreSQL for ``parts`` while the app runs: sets its read model and event store, feeds its watch."""

    @asynccontextmanager
    async def opened(parts: Parts) -> AsyncIterator[None]:
        async with AsyncExitStack() as pools:
            try:
                connections = await ReadConnections.open(settings.database_url, settings.db_read_connections)
            except (OSError, TimeoutError, asyncpg.PostgresConnectionError) as exc:
                raise StoreUnavailable(f"PostgreSQL unreachable: {exc}") from exc
            pools.push_async_callback(connections.close)
            store_pool = await create_pool(settings.store_url, max_size=2, reset_sessions=False, name="event_store")
            pools.push_async_callback(store_pool.close)
            # The read model only fetches through its pool: the lean connections stand in for asyncpg's.
            parts.read_model = PostgresReadModel(cast(asyncpg.Pool, connections), settings.read_model_schema)
            parts.event_store = PostgresEventStore(store_pool)
            listener = CheckpointListener(settings.database_url, settings.read_model_schema, parts.checkpoint)
            listening = asyncio.create_task(listener.run(), name="checkpoint-listener")
            pools.push_async_callback(_stopped, listening)
            try:
                yield
            finally:
                parts.read_model = None

    return opened


async def _stopped(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
