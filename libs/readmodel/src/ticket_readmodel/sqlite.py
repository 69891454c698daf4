"""The read model in the embedded SQLite file, next to the SQLite event store (tables prefixed ``rm_``).

One :class:`~ticket_migrations.sqlite.SqliteDatabase` serialises every operation, so the checkpoint needs no
row lock: a projection transaction runs alone. Times are stored as UTC ISO 8601 text, which sorts in time order.
The list's search goes through an FTS5 ``trigram`` index of the tickets' search columns, kept in step by triggers.
The schema is versioned in ``sql/sqlite``, applied by :mod:`ticket_migrations.sqlite`; ``migrate`` upgrades a file
in place, including one of the releases that kept their version in ``rm_schema``.
"""

from __future__ import annotations

import statistics
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiosqlite

from ticket_migrations import Migration, load
from ticket_migrations import sqlite as migrations
from ticket_migrations.sqlite import SqliteDatabase
from ticket_workflow import TicketState

from . import digest, mapping, sla_store
from .listing import Dialect, like_prefix, list_sql, page_of, row_page_of
from .mapping import SQLITE, TICKET_COLUMNS, WRITTEN_COLUMNS, stamp
from .projection import Change, Effects, HistoryEntry
from .queries import PROJECTION, Queries
from .read_model import (
    Halt,
    Known,
    Person,
    SearchTerm,
    Stats,
    TicketPage,
    TicketQuery,
    TicketRow,
    TicketRowPage,
    buckets_to_read,
    nothing_known,
    per_day,
    roles_granting,
    time_zone,
)
from .sla_tables import SqliteSla, SqliteSlaReads

if TYPE_CHECKING:
    from .sqlite_operations import SqliteProjectionLog

COMPONENT = "read_model"
SQL = Queries(lambda name: f"rm_{name}", lambda n: f"?{n}")


def read_model_migrations() -> list[Migration]:
    return load("ticket_readmodel", "sql/sqlite")


TRIGRAM = 3  # the search index finds substrings this long or longer; shorter terms are looked for row by row


def search(term: SearchTerm, param: Callable[[Any], str]) -> str:
    """The lower-cased search columns hold the term (the trigram index), or the id starts with it."""
    if len(term.text) >= TRIGRAM:
        columns = "{search_public search_staff}" if term.include_notes else "search_public"
        phrase = '"' + term.text.replace('"', '""') + '"'
        matches = [
            f"key IN (SELECT rowid FROM rm_ticket_search WHERE rm_ticket_search MATCH {param(f'{columns} : {phrase}')})"
        ]
    else:
        matches = [f"instr(search_public, {param(term.text)}) > 0"]
        if term.include_notes:
            matches.append(f"instr(search_staff, {param(term.text)}) > 0")
    if term.id_prefix is not None:
        matches.append(_id_prefix(term.id_prefix, param))
    return f"({' OR '.join(matches)})"


def _id_prefix(prefix: str, param: Callable[[Any], str]) -> str:
    """Ids starting with ``prefix`` as a range of the id's index (text compares by code point)."""
    following = ord(prefix[-1]) + 1
    if following == 0xD800:
        following = 0xE000  # surrogates are no characters
    if following > 0x10FFFF:
        return f"substr(id, 1, {param(len(prefix))}) = {param(prefix)}"
    return f"(id >= {param(prefix)} AND id < {param(prefix[:-1] + chr(following))})"


DIALECT = Dialect(placeholder=lambda n: "?", timestamp=stamp, search=search)


async def _known_versions(db: SqliteDatabase) -> None:
    """Bring ``schema_migrations`` in line with the file: record the versions a file of an earlier release kept in
    ``rm_schema``, and forget those of a read model whose tables were dropped to project it anew."""
    async with db.transaction() as conn:
        await migrations.applied(conn, COMPONENT)  # the bookkeeping table, created when missing
        tables = {r[0] for r in await conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "rm_schema" in tables:
            async with conn.execute("SELECT max(version) FROM rm_schema") as c:
                row = await c.fetchone()
            reached = int((row[0] if row else None) or 1)  # 1: the first release, which did not record it
            for migration in read_model_migrations():
                if migration.version <= reached:
                    await migrations.record(conn, COMPONENT, migration)
            await conn.execute("DROP TABLE rm_schema")
        elif "rm_checkpoint" not in tables:
            await conn.execute("DELETE FROM schema_migrations WHERE component = ?", (COMPONENT,))


class SqliteReadModel(SqliteSlaReads):
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def migrate(self) -> None:
        await _known_versions(self._db)
        await migrations.apply(self._db, COMPONENT, read_model_migrations())

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTransaction]:
        async with self._db.transaction() as conn:
            yield SqliteTransaction(conn)

    async def checkpoint(self) -> int:
        rows = await self._fetch(SQL.checkpoint(), (PROJECTION,))
        return int(rows[0][0]) if rows else 0

    async def ticket(self, ticket_id: str) -> TicketState | None:
        rows = await self._fetch(SQL.ticket(), (ticket_id,))
        return mapping.ticket_of(rows[0], SQLITE) if rows else None

    async def list_tickets(self, query: TicketQuery) -> TicketPage:
        return page_of(query, await self._listed(query), lambda r: mapping.ticket_of(r, SQLITE))

    async def ticket_row(self, ticket_id: str) -> TicketRow | None:
        rows = await self._fetch(SQL.ticket(), (ticket_id,))
        return mapping.ticket_row(rows[0], SQLITE) if rows else None

    async def list_ticket_rows(self, query: TicketQuery, *, known: Known = nothing_known) -> TicketRowPage:
        # Whole rows always: the file is local, there is nothing to save by reading keys first.
        return row_page_of(query, [mapping.ticket_row(r, SQLITE) for r in await self._listed(query)])

    async def _listed(self, query: TicketQuery) -> list[Any]:
        sql, params = list_sql(query, "rm_tickets", TICKET_COLUMNS, DIALECT)
        return await self._fetch(sql, tuple(params))

    async def history(self, ticket_id: str, *, up_to_version: int | None = None) -> list[HistoryEntry]:
        rows = await self._fetch(SQL.history(), (ticket_id, up_to_version))
        return [mapping.history_of(r, SQLITE) for r in rows]

    async def changes_after(
        self, position: int, *, requester: str | None = None, limit: int = 100
    ) -> list[HistoryEntry]:
        rows = await self._fetch(SQL.changes_after(), (position, requester, limit))
        return [mapping.history_of(r, SQLITE) for r in rows]

    async def stats(self, *, days: int = 30, tz: str = "UTC") -> Stats:
        zone = time_zone(tz)
        async with self._db.reading() as conn:  # one snapshot: nothing writes in between
            places = await conn.execute_fetchall(SQL.places())
            buckets = await conn.execute_fetchall(SQL.buckets(), (buckets_to_read(days),))
            first = await conn.execute_fetchall(
                "SELECT created_at, first_response_at FROM rm_tickets WHERE first_response_at IS NOT NULL"
            )
            resolution = await conn.execute_fetchall(
                "SELECT created_at, resolved_at FROM rm_tickets WHERE resolved_at IS NOT NULL"
            )
        return Stats.of(
            {r[0]: r[1] for r in places},
            per_day([(datetime.fromisoformat(r[0]), r[1], r[2]) for r in buckets], days=days, zone=zone),
            median_first_response=_median(first),
            median_resolution=_median(resolution),
        )

    async def people(
        self, *, role: str | None = None, prefix: str | None = None, after: str | None = None, limit: int = 200
    ) -> list[Person]:
        where, params = [], []
        if role is not None:
            holders = roles_granting(role)
            marks = ", ".join("?" * len(holders))
            where.append(f"EXISTS (SELECT 1 FROM json_each(rm_people.roles) WHERE value IN ({marks}))")
            params += holders
        if prefix:
            where.append("lower(id) LIKE ? ESCAPE '\\'")
            params.append(like_prefix(prefix.lower()))
        if after is not None:
            where.append("id > ?")  # the primary key's order: code points (SQLite compares UTF-8 bytes)
            params.append(after)
        rows = await self._fetch(f"{SQL.people(' AND '.join(where) or '1 = 1')} ORDER BY id LIMIT ?", (*params, limit))
        return [mapping.person_of(r, SQLITE) for r in rows]

    async def content_hash(self) -> str:
        async with self._db.reading() as conn:

            async def rows(sql: str) -> AsyncIterator[Any]:
                async with conn.execute(sql) as cursor:
                    async for row in cursor:
                        yield row

            return await digest.content_hash(rows, SQL.table, SQLITE)

    def operations(self) -> SqliteProjectionLog:
        """Skips, rebuild progress and the reset of an in-place rebuild (:mod:`ticket_readmodel.operations`)."""
        from .sqlite_operations import SqliteProjectionLog  # it builds on this module

        return SqliteProjectionLog(self._db)

    async def record_halt(self, halt: Halt) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(SQL.record_halt(), mapping.halt_values(PROJECTION, halt, SQLITE))

    async def recorded_halt(self) -> Halt | None:
        rows = await self._fetch(SQL.recorded_halt(), (PROJECTION,))
        return mapping.halt_of(rows[0], SQLITE) if rows else None

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        async with self._db.reading() as conn, conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


class SqliteTransaction:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def checkpoint(self) -> int:
        async with self._conn.execute(SQL.checkpoint(), (PROJECTION,)) as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def ticket(self, ticket_id: str) -> TicketState | None:
        async with self._conn.execute(SQL.ticket(), (ticket_id,)) as c:
            row = await c.fetchone()
        return mapping.ticket_of(row, SQLITE) if row else None

    async def tickets(self, ticket_ids: Collection[str]) -> dict[str, TicketState]:
        found = {}
        for ticket_id in ticket_ids:
            state = await self.ticket(ticket_id)
            if state is not None:
                found[ticket_id] = state
        return found

    async def save(self, change: Change) -> None:
        await self.write(Effects.of(change))

    async def write(self, effects: Effects) -> None:
        sla, policies = await sla_store.clocks_for(SqliteSla(self._conn), effects)  # service levels
        rows = [mapping.ticket_values(t, p, SQLITE, sla[t.id]) for t, p in effects.tickets.values()]
        await self._conn.executemany(UPSERT_TICKET, rows)
        await self._conn.executemany(INSERT_HISTORY, [mapping.history_values(e, SQLITE) for e in effects.events])
        await _add_counts(self._conn, effects)
        await sla_store.after_write(SqliteSla(self._conn), effects, policies)

    async def rewrite(self, effects: Effects) -> None:
        await self._conn.executemany("DELETE FROM rm_history WHERE ticket_id = ?", [(i,) for i in effects.tickets])
        sla = await sla_store.kept(SqliteSla(self._conn), list(effects.tickets))  # an erasure changes no timing
        kept = effects.tickets.values()
        rows = [mapping.ticket_values(t, p, SQLITE, sla.get(t.id, mapping.NO_SLA)) for t, p in kept]
        await self._conn.executemany(UPSERT_TICKET, rows)
        await self._conn.executemany(INSERT_HISTORY, [mapping.history_values(e, SQLITE) for e in effects.events])

    async def advance(self, position: int) -> None:
        for statement in SQL.advance():
            await self._conn.execute(statement, (PROJECTION, position))


_WRITTEN = [c.name for c in WRITTEN_COLUMNS]
# An upsert, never INSERT OR REPLACE: a replaced row would get a new key and leave the search index behind.
UPSERT_TICKET = (
    f"INSERT INTO rm_tickets ({', '.join(_WRITTEN)}) VALUES ({', '.join('?' * len(_WRITTEN))}) "
    f"ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _WRITTEN[1:])}"
)
INSERT_HISTORY = (
    f"INSERT INTO rm_history ({', '.join(c.name for c in mapping.HISTORY_WRITTEN)}) "
    f"VALUES ({', '.join('?' * len(mapping.HISTORY_WRITTEN))})"
)


async def _add_counts(conn: aiosqlite.Connection, effects: Effects) -> None:
    """Add the batch's increments to the quarter-hour buckets, the place counts and the staff directory."""
    await conn.executemany(
        "INSERT INTO rm_stats_buckets (bucket, created, resolved) VALUES (?, ?, ?) ON CONFLICT (bucket) DO UPDATE "
        "SET created = created + excluded.created, resolved = resolved + excluded.resolved",
        [(stamp(bucket), created, resolved) for bucket, (created, resolved) in sorted(effects.buckets.items())],
    )
    await conn.executemany(
        "INSERT INTO rm_place_counts (place, tickets) VALUES (?, ?) ON CONFLICT (place) DO UPDATE "
        "SET tickets = tickets + excluded.tickets",
        sorted(effects.places.items()),
    )
    await conn.executemany(
        "INSERT INTO rm_people (id, roles, first_seen, last_seen, actions) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET roles = excluded.roles, first_seen = min(first_seen, excluded.first_seen), "
        "last_seen = max(last_seen, excluded.last_seen), actions = actions + excluded.actions",
        [
            (actor, mapping.dumps(list(seen.roles)), stamp(seen.first_seen), stamp(seen.last_seen), seen.actions)
            for actor, seen in sorted(effects.people.items())
        ],
    )


def _median(rows: Any) -> float | None:
    """The median of ``later - earlier`` in seconds over rows of (earlier, later) stored times."""
    values = [(datetime.fromisoformat(r[1]) - datetime.fromisoformat(r[0])).total_seconds() for r in rows]
    return float(statistics.median(values)) if values else None
