"""One suite, every event store adapter: PostgreSQL and its embedded SQLite twin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from tests.support.events import event, events
from tests.support.ids import ticket_id
from ticket_eventstore import migrations
from ticket_eventstore.ports import CommandStore as EventStore
from ticket_eventstore.ports import IdempotencyKeyTaken, RecordedResponse
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_workflow import Event, EventMetadata, VersionConflict
from ticket_workflow.ports import StaffSeen


def acted(stream_id: str, version: int, actor: str, *roles: str) -> Event:
    """An event recorded for ``actor`` presenting ``roles``."""
    return event(stream_id, version).model_copy(update={"metadata": EventMetadata(actor=actor, roles=roles)})


async def act(store: EventStore, actor: str, *roles: str) -> int:
    """``actor`` opens a ticket of its own; returns the event's position."""
    sid = ticket_id()
    [written] = await store.append(sid, 0, [acted(sid, 1, actor, *roles)])
    assert written.position is not None
    return written.position


class EventStoreContract:
    """Subclasses provide the ``store`` fixture."""

    async def test_append_then_read_a_stream(self, store: EventStore) -> None:
        sid = ticket_id()
        written = await store.append(sid, 0, events(sid, 1, 3))
        assert [e.version for e in written] == [1, 2, 3]
        assert all(e.position for e in written)
        read = await store.read_stream(sid)
        assert read == written
        assert await store.read_stream(sid, up_to_version=2) == written[:2]
        assert await store.read_stream(ticket_id()) == []

    async def test_data_and_metadata_round_trip(self, store: EventStore) -> None:
        sid = ticket_id()
        original = event(sid, 1, "Created", subject="ünïcode ✓", nested={"a": [1, 2]})
        await store.append(sid, 0, [original])
        [read] = await store.read_stream(sid)
        assert (read.data, read.metadata, read.timestamp, read.id) == (
            original.data,
            original.metadata,
            original.timestamp,
            original.id,
        )

    async def test_a_stale_writer_gets_a_conflict_and_writes_nothing(self, store: EventStore) -> None:
        sid = ticket_id()
        await store.append(sid, 0, events(sid, 1, 2))
        with pytest.raises(VersionConflict):
            await store.append(sid, 1, events(sid, 2, 1))
        with pytest.raises(VersionConflict):
            await store.append(sid, 0, events(sid, 1, 1))
        assert [e.version for e in await store.read_stream(sid)] == [1, 2]

    async def test_events_must_continue_the_stream(self, store: EventStore) -> None:
        sid = ticket_id()
        with pytest.raises(ValueError, match="must be version 1"):
            await store.append(sid, 0, events(sid, 2, 1))

    async def test_racing_writers_one_wins(self, store: EventStore) -> None:
        sid = ticket_id()
        await store.append(sid, 0, events(sid, 1, 1))
        results = await asyncio.gather(
            *(store.append(sid, 1, [event(sid, 2)]) for _ in range(10)), return_exceptions=True
        )
        assert sum(not isinstance(r, BaseException) for r in results) == 1
        assert all(isinstance(r, VersionConflict) for r in results if isinstance(r, BaseException))
        assert [e.version for e in await store.read_stream(sid)] == [1, 2]

    async def test_global_positions_increase_in_append_order(self, store: EventStore) -> None:
        start = await store.last_position()
        a, b = ticket_id(), ticket_id()
        first = await store.append(a, 0, events(a, 1, 2))
        second = await store.append(b, 0, events(b, 1, 1))
        third = await store.append(a, 2, events(a, 3, 1))
        positions = [e.position for e in first + second + third]
        assert positions == sorted(positions) and len(set(positions)) == 4
        assert await store.last_position() == positions[-1]
        assert [e.id for e in await store.read_all(start)] == [e.id for e in first + second + third]

    async def test_read_all_in_pages(self, store: EventStore) -> None:
        start = await store.last_position()
        written = []
        for _ in range(5):
            sid = ticket_id()
            written += await store.append(sid, 0, events(sid, 1, 3))
        pages, after = [], start
        while page := await store.read_all(after, limit=4):
            pages.append(page)
            after = page[-1].position or 0
        assert [len(p) for p in pages] == [4, 4, 4, 3]
        assert [e.id for p in pages for e in p] == [e.id for e in written]

    async def test_idempotent_response_is_stored_with_the_events(self, store: EventStore) -> None:
        sid = ticket_id()
        response = RecordedResponse("alice", "key-1", "hash-a", 201, {"aggregate_id": sid})
        await store.append(sid, 0, events(sid, 1, 1), response=response)
        assert await store.recorded_response("alice", "key-1") == response
        assert await store.recorded_response("bob", "key-1") is None
        other = ticket_id()
        with pytest.raises(IdempotencyKeyTaken):
            await store.append(other, 0, events(other, 1, 1), response=response)
        assert await store.read_stream(other) == []

    async def test_a_refused_append_records_no_response(self, store: EventStore) -> None:
        sid = ticket_id()
        await store.append(sid, 0, events(sid, 1, 1))
        response = RecordedResponse("alice", "key-2", "hash", 200, {})
        with pytest.raises(VersionConflict):
            await store.append(sid, 0, events(sid, 1, 1), response=response)
        assert await store.recorded_response("alice", "key-2") is None

    async def test_staff_seen_names_who_acted_with_a_staff_role(self, store: EventStore) -> None:
        assert await store.staff_seen() == StaffSeen(frozenset(), 0, caught_up=True)
        for actor, roles in [
            ("alice", ("customer",)),
            ("bob", ("agent",)),
            ("sue", ("supervisor",)),  # inherits agent
            ("root", ("admin",)),  # inherits supervisor
            ("dora", ("customer", "agent")),
            ("alice", ("customer",)),
        ]:
            await act(store, actor, *roles)
        sid = ticket_id()  # several events of one stream, one append: bob twice, a customer in between
        await store.append(
            sid, 0, [acted(sid, 1, "carl", "customer"), acted(sid, 2, "bob", "agent"), acted(sid, 3, "ed", "agent")]
        )
        last = await store.last_position()
        assert await store.staff_seen() == StaffSeen(frozenset({"bob", "sue", "root", "dora", "ed"}), last, True)

    async def test_staff_seen_reads_only_what_came_after_a_position(self, store: EventStore) -> None:
        await act(store, "bob", "agent")
        seen = await store.staff_seen()
        assert seen.actors == {"bob"}
        await act(store, "alice", "customer")
        erin = await act(store, "erin", "agent")
        assert await store.staff_seen(seen.position) == StaffSeen(frozenset({"erin"}), erin, caught_up=True)
        assert await store.staff_seen(erin) == StaffSeen(frozenset(), erin, caught_up=True)  # nothing new

    async def test_staff_seen_in_pages(self, store: EventStore) -> None:
        people = [("a1", "agent"), ("c1", "customer"), ("s1", "supervisor"), ("c2", "customer"), ("r1", "admin")]
        positions = [await act(store, actor, role) for actor, role in people]
        pages, after = [], 0
        for _ in range(len(people)):  # bounded: a reader that never catches up fails here instead of hanging
            page = await store.staff_seen(after, limit=2)
            pages.append(page)
            after = page.position
            if page.caught_up:
                break
        assert pages == [
            StaffSeen(frozenset({"a1"}), positions[1], caught_up=False),
            StaffSeen(frozenset({"s1"}), positions[3], caught_up=False),
            StaffSeen(frozenset({"r1"}), positions[4], caught_up=True),
        ]


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self, database_url: str) -> AsyncIterator[PostgresEventStore]:
        conn = await asyncpg.connect(database_url)
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        await conn.close()
        pool = await create_pool(database_url, max_size=12)
        yield PostgresEventStore(pool)
        await pool.close()


class TestSqliteEventStore(EventStoreContract):
    @pytest.fixture
    async def store(self, tmp_path: Path) -> AsyncIterator[SqliteEventStore]:
        db = await SqliteDatabase.open(str(tmp_path / "events.db"))
        yield await SqliteEventStore.create(db)
        await db.close()
