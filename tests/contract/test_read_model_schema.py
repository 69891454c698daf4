"""The stored schemas and how they are kept: the tickets table of both databases holds every field of the ticket
state (one mapping, ``ticket_readmodel.mapping``), the SQLite migrations run by the shared runner, and a file the
release before the runner wrote (its read-model version kept in ``rm_schema``) is taken over in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import aiosqlite
import pytest

from tests.contract.test_read_model import apply, found
from tests.support.scenarios import Ticket
from ticket_eventstore.migrations import EVENT_STORE
from ticket_eventstore.postgres import create_pool
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_migrations import Migration
from ticket_migrations import sqlite as runner
from ticket_readmodel import mapping
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.sqlite import COMPONENT, SqliteReadModel
from ticket_workflow import TicketState

# Written by the release before the migration runner (commit 8b27837) with `make run`'s code path: the event
# store's tables without a recorded version, the read model at version 2 of `rm_schema`, a dozen tickets.
BEFORE_THE_RUNNER = Path(__file__).parent / "fixtures" / "embedded-before-migrations.db"


def test_every_field_of_the_ticket_state_has_its_column() -> None:
    stored = {c.name for c in mapping.STATE_COLUMNS}
    assert stored == set(TicketState.model_fields)
    kinds = {c.name: c.kind for c in mapping.STATE_COLUMNS}
    assert (kinds["marking"], kinds["notes"], kinds["closed_at"], kinds["reopen_count"]) == (
        "json",
        "json",
        "time",
        "integer",
    )


async def test_both_tickets_tables_hold_every_mapped_column(database_url: str, tmp_path: Path) -> None:
    written = {c.name for c in mapping.WRITTEN_COLUMNS}
    pool = await create_pool(database_url, max_size=1)
    try:
        await PostgresReadModel(pool, "schema_check").migrate()
        rows = await pool.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'schema_check' "
            "AND table_name = 'tickets'"
        )
        assert written <= {r["column_name"] for r in rows}
        await pool.execute('DROP SCHEMA "schema_check" CASCADE')
    finally:
        await pool.close()
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    try:
        await SqliteReadModel(db).migrate()
        columns = await db.conn.execute_fetchall("SELECT name FROM pragma_table_info('rm_tickets')")
        assert written <= {r[0] for r in columns}
    finally:
        await db.close()


async def _recorded(db: SqliteDatabase) -> dict[str, list[int]]:
    rows = await db.conn.execute_fetchall("SELECT component, version FROM schema_migrations ORDER BY 1, 2")
    versions: dict[str, list[int]] = {}
    for component, version in rows:
        versions.setdefault(component, []).append(version)
    return versions


async def test_a_file_of_the_release_before_the_runner_is_taken_over_in_place(tmp_path: Path) -> None:
    path = tmp_path / "embedded.db"
    shutil.copy(BEFORE_THE_RUNNER, path)
    db = await SqliteDatabase.open(str(path))
    fresh = await SqliteDatabase.open(str(tmp_path / "fresh.db"))
    try:
        model = SqliteReadModel(db)
        before = await model.content_hash()
        store = await SqliteEventStore.create(db)
        await model.migrate()
        assert await _recorded(db) == {EVENT_STORE: [1], COMPONENT: [1, 2, 3, 4, 5]}
        assert await db.conn.execute_fetchall("SELECT name FROM sqlite_master WHERE name = 'rm_schema'") == []
        assert await model.content_hash() == before  # nothing was run again over the rows
        events = await store.read_all(0, 1000)
        assert len(events) == 18
        projected = SqliteReadModel(fresh)
        await projected.migrate()
        await apply(projected, events)
        assert await projected.content_hash() == before  # the file holds what the events say
        assert await found(model, "flackert äöü") == await found(projected, "flackert äöü") != set()

        more = Ticket(requester="zoe")
        more.create(subject="Mouse squeaks")
        stored = await store.append(more.ticket_id, 0, more.events)
        await apply(model, stored)  # the search index still follows the table
        assert await found(model, "squeak") == {more.ticket_id}
        await SqliteEventStore.create(db)
        await model.migrate()  # idempotent
        assert await _recorded(db) == {EVENT_STORE: [1], COMPONENT: [1, 2, 3, 4, 5]}
    finally:
        await db.close()
        await fresh.close()


async def test_a_sqlite_migration_applies_whole_or_not_at_all(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(str(tmp_path / "runner.db"))
    try:
        good = Migration(1, "first", "CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);")
        bad = Migration(2, "second", "CREATE TABLE b (x INTEGER);\nINSERT INTO nowhere VALUES (1);")
        assert await runner.apply(db, "test", [good]) == [good]
        with pytest.raises(aiosqlite.OperationalError, match="nowhere"):
            await runner.apply(db, "test", [good, bad])
        assert await db.conn.execute_fetchall("SELECT name FROM sqlite_master WHERE name = 'b'") == []
        assert await _recorded(db) == {"test": [1]}
        fixed = Migration(2, "second", "CREATE TABLE b (x INTEGER);")
        assert await runner.apply(db, "test", [good, fixed]) == [fixed]
        assert await runner.apply(db, "test", [good, fixed]) == []
        assert [tuple(r) for r in await db.conn.execute_fetchall("SELECT x FROM a")] == [(1,)]  # ran once
    finally:
        await db.close()


async def test_an_embedded_read_model_dropped_to_be_projected_anew_is_created_again(tmp_path: Path) -> None:
    """services/projector/README.md: drop ``rm_ticket_search``, then every other ``rm_*`` table, and start again."""
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    try:
        store = await SqliteEventStore.create(db)
        model = SqliteReadModel(db)
        await model.migrate()
        ticket = Ticket(requester="zoe")
        ticket.create(subject="Printer jams")
        stored = await store.append(ticket.ticket_id, 0, ticket.events)
        await apply(model, stored)
        projected = await model.content_hash()
        tables = await db.conn.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm\\_%' ESCAPE '\\' "
            "AND name NOT LIKE 'rm\\_ticket\\_search\\_%' ESCAPE '\\' ORDER BY name = 'rm_ticket_search' DESC"
        )
        for (name,) in tables:
            await db.conn.execute(f'DROP TABLE "{name}"')
        await model.migrate()
        assert await model.checkpoint() == 0
        await apply(model, await store.read_all(0, 100))
        assert await model.content_hash() == projected
        assert await found(model, "jams") == {ticket.ticket_id}
        assert await _recorded(db) == {EVENT_STORE: [1], COMPONENT: [1, 2, 3, 4, 5]}
    finally:
        await db.close()
