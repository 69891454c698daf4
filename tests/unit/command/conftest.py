"""API tests run the real app in process on the embedded SQLite twin (in memory: no sockets, no files)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.command_api import Desk, client_for
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore


@pytest.fixture
async def store() -> AsyncIterator[SqliteEventStore]:
    db = await SqliteDatabase.open(":memory:")
    yield await SqliteEventStore.create(db)
    await db.close()


@pytest.fixture
async def client(store: SqliteEventStore) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(store) as client:
        yield client


@pytest.fixture
def desk(client: httpx.AsyncClient) -> Desk:
    return Desk(client)
