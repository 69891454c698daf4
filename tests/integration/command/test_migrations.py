"""``migrate``: idempotent and safe when several replicas run it at once; the events table refuses changes."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.support.events import events
from tests.support.ids import ticket_id
from ticket_eventstore import migrations
from ticket_eventstore.postgres import PostgresEventStore


async def test_concurrent_runs_apply_each_migration_once(database_url: str) -> None:
    expected = migrations.event_store_migrations()
    connections = [await asyncpg.connect(database_url) for _ in range(6)]
    try:
        runs = await asyncio.gather(*(migrations.apply(conn, migrations.EVENT_STORE, expected) for conn in connections))
        assert sorted(len(applied) for applied in runs) == [0] * 5 + [len(expected)]
        assert await migrations.apply(connections[0], migrations.EVENT_STORE, expected) == []
        assert await migrations.pending(connections[0], migrations.EVENT_STORE, expected) == []
        recorded = await connections[0].fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in recorded] == [m.version for m in expected]
    finally:
        for conn in connections:
            await conn.close()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET type = 'Forged'", "DELETE FROM events", "TRUNCATE events"],
)
async def test_events_are_never_updated_or_deleted(
    migrated_url: str, pg_store: PostgresEventStore, statement: str
) -> None:
    sid = ticket_id()
    written = await pg_store.append(sid, 0, events(sid, 1, 2))
    conn = await asyncpg.connect(migrated_url)
    try:
        with pytest.raises(asyncpg.RaiseError, match="immutable"):
            await conn.execute(statement)
    finally:
        await conn.close()
    assert await pg_store.read_stream(sid) == written
