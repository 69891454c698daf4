"""A read model written by the release before notes, search columns, people and quarter-hour buckets, upgraded in
place: what the upgrade derives from the stored rows equals what projecting the same events gives."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from tests.contract.test_read_model import apply, found
from tests.support.scenarios import Ticket, busy_day, interleaved
from ticket_eventstore.postgres import create_pool
from ticket_eventstore.sqlite import SqliteDatabase
from ticket_migrations import postgres as migrations
from ticket_readmodel import sqlite
from ticket_readmodel.postgres import COMPONENT, PostgresReadModel, read_model_migrations
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_workflow import EFFECTS, SUPPORT_TICKET, is_staff

# The columns of the tickets table before notes (the release that wrote the rows being upgraded).
OLD_TICKET_COLUMNS = (
    "id, version, place, marking, subject, description, priority, priority_rank, requester, assignee, messages, "
    "message_count, escalation_reason, resolution, reopen_count, created_at, updated_at, first_response_at, "
    "resolved_at, closed_at, last_position"
)
HISTORY = "position, ticket_id, version, event_id, type, transition, actor, roles, occurred_at, data, metadata"


def scenario() -> list[Ticket]:
    """Tickets without notes (the old rows have none), with staff of several ranks and a customer."""
    tickets = busy_day()
    t = Ticket(requester="zoe", agent="root")
    t.create(subject="Screen flickers", description="Only on Mondays")
    t.fire("assign", roles=("admin",))
    t.reply("Which cable?", actor="dave", roles=("agent", "supervisor"))
    t.reply("HDMI", actor="zoe")
    tickets.append(t)
    return tickets


async def test_postgres_read_model_of_the_previous_release_is_upgraded_in_place(database_url: str) -> None:
    tickets = scenario()
    events = interleaved(tickets)
    pool = await create_pool(database_url, max_size=2)
    try:
        projected = PostgresReadModel(pool, "projected")
        await projected.migrate()
        await apply(projected, events)
        old = [m for m in read_model_migrations() if m.version <= 3]
        async with pool.acquire() as conn:
            await conn.execute('CREATE SCHEMA "upgraded"; SET search_path TO "upgraded", public')
            await migrations.apply(conn, COMPONENT, old)
            await conn.execute("RESET search_path")
            await conn.execute(
                f"INSERT INTO upgraded.tickets ({OLD_TICKET_COLUMNS}) SELECT {OLD_TICKET_COLUMNS} "
                "FROM projected.tickets;"
                f"INSERT INTO upgraded.history ({HISTORY}) SELECT {HISTORY} FROM projected.history;"
                "INSERT INTO upgraded.place_counts SELECT * FROM projected.place_counts;"
                "UPDATE upgraded.checkpoint SET position = (SELECT position FROM projected.checkpoint);"
                "INSERT INTO upgraded.daily_stats (day, created) VALUES ('2026-03-02', 99)"
            )
        upgraded = PostgresReadModel(pool, "upgraded")
        await upgraded.migrate()
        assert await upgraded.content_hash() == await projected.content_hash()
        assert await _search_columns(pool, "upgraded") == await _search_columns(pool, "projected")
        assert [p.id for p in await upgraded.people()] == ["bob", "dave", "erin", "root"]
        assert await pool.fetchval("SELECT to_regclass('upgraded.daily_stats')") is None
        assert await found(upgraded, "mondays") == {tickets[-1].ticket_id}
        await upgraded.migrate()  # idempotent
    finally:
        await pool.close()


async def _search_columns(pool: asyncpg.Pool, schema: str) -> list[tuple[str, str, str]]:
    rows = await pool.fetch(f"SELECT id, search_public, search_staff FROM {schema}.tickets ORDER BY id")
    return [tuple(r) for r in rows]


async def test_sqlite_read_model_of_the_previous_release_is_upgraded_in_place(tmp_path: Path) -> None:
    tickets = scenario()
    accented = Ticket(requester="zoë", agent="bob")
    accented.create(subject="ÄRGER mit dem Drucker", description="Ölfleck")
    accented.reply("Schon geprüft?", actor="bob", roles=("agent",))
    events = interleaved([*tickets, accented])
    fresh_db = await SqliteDatabase.open(str(tmp_path / "fresh.db"))
    old_db = await SqliteDatabase.open(str(tmp_path / "old.db"))
    try:
        projected = SqliteReadModel(fresh_db)
        await projected.migrate()
        await apply(projected, events)
        await old_db.conn.executescript(sqlite.read_model_migrations()[0].sql)  # the first release's tables, unrecorded
        async with fresh_db.reading() as conn:
            rows = list(await conn.execute_fetchall(f"SELECT {OLD_TICKET_COLUMNS} FROM rm_tickets"))
            history = list(await conn.execute_fetchall(f"SELECT {HISTORY} FROM rm_history"))
            places = list(await conn.execute_fetchall("SELECT place, tickets FROM rm_place_counts"))
        async with old_db.transaction() as conn:
            await conn.executemany(f"INSERT INTO rm_tickets ({OLD_TICKET_COLUMNS}) VALUES ({_marks(21)})", rows)
            await conn.executemany(f"INSERT INTO rm_history ({HISTORY}) VALUES ({_marks(11)})", history)
            await conn.executemany("INSERT INTO rm_place_counts VALUES (?, ?)", places)
            await conn.execute("UPDATE rm_checkpoint SET position = ?", (events[-1].position,))
            await conn.execute("INSERT INTO rm_daily_stats (day, created) VALUES ('2026-03-02', 99)")
        upgraded = SqliteReadModel(old_db)
        await upgraded.migrate()
        assert await upgraded.content_hash() == await projected.content_hash()
        assert await _sqlite_search_columns(old_db) == await _sqlite_search_columns(fresh_db)
        assert await found(upgraded, "ärger") == await found(upgraded, "geprüft") == {accented.ticket_id}
        assert [p.id for p in await upgraded.people()] == ["bob", "dave", "erin", "root"]
        zoe = tickets[-1].ticket_id
        assert await found(upgraded, "mondays") == await found(upgraded, "hdmi") == {zoe}  # the index was built
        assert await found(upgraded, "zoe") == {zoe}
        more = Ticket(requester="zoe")
        more.create(subject="Mouse squeaks")
        await apply(upgraded, more.events)  # the search index follows the upgraded table
        assert await found(upgraded, "squeak") == {more.ticket_id}
        await upgraded.migrate()  # idempotent
        async with old_db.reading() as conn:
            leftovers = await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE name LIKE '%daily%'")
            check = await conn.execute_fetchall(
                "INSERT INTO rm_ticket_search (rm_ticket_search) VALUES ('integrity-check')"
            )
        assert list(leftovers) == [] and list(check) == []
    finally:
        await fresh_db.close()
        await old_db.close()


async def _sqlite_search_columns(db: SqliteDatabase) -> list[tuple[str, str, str]]:
    rows = await db.conn.execute_fetchall("SELECT id, search_public, search_staff FROM rm_tickets ORDER BY id")
    return [(r[0], r[1], r[2]) for r in rows]


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def test_the_upgrade_names_the_staff_roles_and_resolving_transitions_of_the_workflow() -> None:
    """The SQL that fills ``people`` and the buckets from the history names roles and transitions; they must be the
    workflow's and the projection's, on both databases."""
    roles = [r.name for r in SUPPORT_TICKET.roles]
    staff = ", ".join(repr(r) for r in roles if is_staff(SUPPORT_TICKET, [r]))
    everyone = ", ".join(repr(r) for r in roles)
    resolving = f"transition IN ({', '.join(repr(t) for t, effect in sorted(EFFECTS.items()) if effect.resolves)})"
    postgres = next(m.sql for m in read_model_migrations() if m.version == 4)
    assert f"roles ?| array[{staff}]" in postgres and f"NOT IN ({everyone})" in postgres
    assert resolving in postgres
    embedded = next(m.sql for m in sqlite.read_model_migrations() if m.version == 2)
    assert f"value IN ({staff})" in embedded and f"value NOT IN ({everyone})" in embedded
    assert resolving in embedded
