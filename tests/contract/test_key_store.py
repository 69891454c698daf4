"""One suite, both key store adapters (table ``subject_keys`` beside the events): PostgreSQL and SQLite."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.support.events import event
from tests.support.ids import ticket_id
from ticket_eventstore import migrations
from ticket_eventstore.ports import RecordedResponse
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_privacy import KeyStore, SubjectKey
from ticket_privacy.keys import ERASED_REQUEST
from ticket_privacy.postgres import PostgresKeyStore
from ticket_privacy.sqlite import SqliteKeyStore

Desk = tuple[KeyStore, Any]  # the key store and the event store of the same database


def key(subject: str, n: int = 1) -> SubjectKey:
    return SubjectKey(f"{subject}-key-{n}-{ticket_id()}", subject, bytes([n]) * 60)


async def created(store: Any, requester: str) -> str:
    sid = ticket_id()
    await store.append(sid, 0, [event(sid, 1, "Created", requester=requester, subject="s")])
    return sid


class KeyStoreContract:
    async def test_one_active_key_per_subject(self, desk: Desk) -> None:
        keys, _ = desk
        assert await keys.active_key("alice") is None
        first = await keys.add_key(key("alice", 1))
        assert await keys.add_key(key("alice", 2)) == first  # the subject's key already exists: it is kept
        assert await keys.active_key("alice") == first
        assert (first.wrapped, first.destroyed) == (bytes([1]) * 60, False)
        assert first.created_at is not None

    async def test_concurrent_first_keys_agree(self, desk: Desk) -> None:
        keys, _ = desk
        made = await asyncio.gather(*(keys.add_key(key("carol", n)) for n in range(1, 6)))
        assert len({k.key_id for k in made}) == 1

    async def test_destroy_removes_the_bytes_and_a_new_key_may_follow(self, desk: Desk) -> None:
        keys, _ = desk
        first = await keys.add_key(key("alice"))
        other = await keys.add_key(key("bob"))
        assert await keys.destroy("alice") == [first.key_id]
        assert await keys.destroy("alice") == []
        found = await keys.keys([first.key_id, other.key_id, "unknown"])
        assert found[first.key_id].destroyed and found[first.key_id].wrapped is None
        assert found[first.key_id].destroyed_at is not None
        assert found[other.key_id].wrapped == other.wrapped and set(found) == {first.key_id, other.key_id}
        assert await keys.active_key("alice") is None
        second = await keys.add_key(key("alice", 2))
        assert [k.key_id for k in await keys.subject_keys("alice")] == [first.key_id, second.key_id]

    async def test_tickets_of_a_requester_from_the_events(self, desk: Desk) -> None:
        keys, store = desk
        mine = [await created(store, "dora"), await created(store, "dora")]
        await created(store, "erik")
        assert await keys.tickets_of("dora") == mine
        assert await keys.tickets_of("nobody") == []

    async def test_scrub_responses_of_tickets(self, desk: Desk) -> None:
        keys, store = desk
        sid, other = ticket_id(), ticket_id()
        for stream, k in ((sid, "k1"), (other, "k2")):
            body = {"aggregate_id": stream, "version": 1, "note": "text"}
            response = RecordedResponse("alice", k, "hash", 201, body)
            await store.append(stream, 0, [event(stream, 1, "Created", requester="alice")], response=response)
        assert await keys.scrub_responses([sid], lambda b: {**b, "note": "[erased]"}) == 1
        scrubbed = await store.recorded_response("alice", "k1")
        assert (scrubbed.body["note"], scrubbed.request_hash) == ("[erased]", ERASED_REQUEST)
        kept = await store.recorded_response("alice", "k2")
        assert (kept.body["note"], kept.request_hash) == ("text", "hash")
        assert json.dumps(scrubbed.body)  # still a JSON object


class TestPostgresKeyStore(KeyStoreContract):
    @pytest.fixture
    async def desk(self, database_url: str) -> AsyncIterator[Desk]:
        conn = await asyncpg.connect(database_url)
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        await conn.close()
        pool = await create_pool(database_url, max_size=8)
        keys = PostgresKeyStore(pool)
        await keys.migrate()
        await keys.migrate()  # applied once
        try:
            yield keys, PostgresEventStore(pool)
        finally:
            await pool.close()


class TestSqliteKeyStore(KeyStoreContract):
    @pytest.fixture
    async def desk(self, tmp_path: Path) -> AsyncIterator[Desk]:
        db = await SqliteDatabase.open(str(tmp_path / "desk.db"))
        store = await SqliteEventStore.create(db)
        keys = await SqliteKeyStore.create(db)
        await keys.migrate()
        try:
            yield keys, store
        finally:
            await db.close()
