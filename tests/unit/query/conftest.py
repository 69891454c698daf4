"""The embedded read model the query tests read: a fresh SQLite file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ticket_eventstore.sqlite import SqliteDatabase
from ticket_readmodel.sqlite import SqliteReadModel


@pytest.fixture
async def read_model(tmp_path: Path) -> AsyncIterator[SqliteReadModel]:
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    model = SqliteReadModel(db)
    await model.migrate()
    yield model
    await db.close()
