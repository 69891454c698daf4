"""The read model in the embedded SQLite file, next to the SQLite event store (tables prefixed ``rm_``).

One :class:`~ticket_eventstore.sqlite.SqliteDatabase` serialises every operation, so the checkpoint needs no
row lock: a projection transaction runs alone. Times are stored as UTC ISO 8601 text, which sorts in time order.
The list's search goes through an FTS5 ``trigram`` index of the tickets' search columns, kept in step by triggers.
The schema is versioned in ``rm_schema`` (:data:`MIGRATIONS`); ``migrate`` upgrades a file in place.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from ticket_eventstore.sqlite import SqliteDatabase
from ticket_workflow import TRANSITION_BY_EVENT, Event, EventMetadata, Message, TicketState

from . import digest
from .listing import HISTORY_COLUMNS, TICKET_COLUMNS, Dialect, like_prefix, list_sql, page_of, row_page_of
from .projection import Change, Effects, HistoryEntry, priority_rank, search_texts
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

PROJECTION = "tickets"

SCHEMA = """
CREATE TABLE IF NOT EXISTS rm_tickets (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, place TEXT NOT NULL, marking TEXT NOT NULL,
    subject TEXT NOT NULL, description TEXT NOT NULL, priority TEXT NOT NULL, priority_rank INTEGER NOT NULL,
    requester TEXT NOT NULL, assignee TEXT, messages TEXT NOT NULL, message_count INTEGER NOT NULL,
    escalation_reason TEXT, resolution TEXT, reopen_count INTEGER NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, first_response_at TEXT, resolved_at TEXT, closed_at TEXT,
    last_position INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rm_tickets_created_idx ON rm_tickets (created_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_updated_idx ON rm_tickets (updated_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_priority_idx ON rm_tickets (priority_rank, created_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_place_idx ON rm_tickets (place, created_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_assignee_idx ON rm_tickets (assignee, updated_at, id);
CREATE INDEX IF NOT EXISTS rm_tickets_requester_idx ON rm_tickets (requester, created_at, id);
CREATE TABLE IF NOT EXISTS rm_history (
    position INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL, version INTEGER NOT NULL, event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL, transition TEXT, actor TEXT NOT NULL, roles TEXT NOT NULL, occurred_at TEXT NOT NULL,
    data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (ticket_id, version)
);
CREATE TABLE IF NOT EXISTS rm_daily_stats (
    day TEXT PRIMARY KEY, created INTEGER NOT NULL DEFAULT 0, resolved INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS rm_place_counts (place TEXT PRIMARY KEY, tickets INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rm_checkpoint (projection TEXT PRIMARY KEY, position INTEGER NOT NULL);
INSERT OR IGNORE INTO rm_checkpoint (projection, position) VALUES ('tickets', 0);
CREATE TABLE IF NOT EXISTS rm_halt (
    projection TEXT PRIMARY KEY, position INTEGER NOT NULL, reason TEXT NOT NULL, event_type TEXT NOT NULL,
    ticket_id TEXT NOT NULL, halted_at TEXT NOT NULL
);
"""
# Version 1 is SCHEMA above, as the first release created it; each later version is a list of steps, applied in
# one transaction and recorded in rm_schema. A step is a statement, or a function for what SQL alone cannot do.

_TICKETS_V2 = """
CREATE TABLE rm_tickets_v2 (
    key INTEGER PRIMARY KEY,  -- stable under VACUUM: the search index refers to it
    id TEXT NOT NULL UNIQUE, version INTEGER NOT NULL, place TEXT NOT NULL, marking TEXT NOT NULL,
    subject TEXT NOT NULL, description TEXT NOT NULL, priority TEXT NOT NULL, priority_rank INTEGER NOT NULL,
    requester TEXT NOT NULL, assignee TEXT, messages TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '[]',
    message_count INTEGER NOT NULL, escalation_reason TEXT, resolution TEXT, reopen_count INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, first_response_at TEXT, resolved_at TEXT, closed_at TEXT,
    last_position INTEGER NOT NULL,
    search_public TEXT NOT NULL DEFAULT '', search_staff TEXT NOT NULL DEFAULT ''  -- projection.search_texts
)
"""
_V1_TICKET_COLUMNS = TICKET_COLUMNS.replace(" notes,", "")
_SEARCH_COLUMNS = "search_public, search_staff"


async def _fill_search(conn: aiosqlite.Connection) -> None:
    async with conn.execute(f"SELECT key, {TICKET_COLUMNS} FROM rm_tickets") as cursor:
        rows = [(*search_texts(ticket_of(row)), row["key"]) async for row in cursor]
    await conn.executemany("UPDATE rm_tickets SET search_public = ?, search_staff = ? WHERE key = ?", rows)


async def _fill_counters(conn: aiosqlite.Connection) -> None:
    """Quarter-hour buckets and the staff directory from the history, exactly as the projection counts them."""
    counted = Effects()
    async with conn.execute(f"SELECT {HISTORY_COLUMNS} FROM rm_history ORDER BY position") as cursor:
        async for row in cursor:
            counted.count(history_of(row).to_event())
    await _add_counts(conn, counted)


MIGRATIONS: list[list[str | Callable[[aiosqlite.Connection], Any]]] = [
    [
        # notes, search columns and a stable key: the tickets table is copied into its new shape
        _TICKETS_V2,
        f"INSERT INTO rm_tickets_v2 ({_V1_TICKET_COLUMNS}) SELECT {_V1_TICKET_COLUMNS} FROM rm_tickets",
        "DROP TABLE rm_tickets",
        "ALTER TABLE rm_tickets_v2 RENAME TO rm_tickets",
        "CREATE INDEX rm_tickets_created_idx ON rm_tickets (created_at, id)",
        "CREATE INDEX rm_tickets_updated_idx ON rm_tickets (updated_at, id)",
        "CREATE INDEX rm_tickets_priority_idx ON rm_tickets (priority_rank, created_at, id)",
        "CREATE INDEX rm_tickets_place_idx ON rm_tickets (place, created_at, id)",
        "CREATE INDEX rm_tickets_assignee_idx ON rm_tickets (assignee, updated_at, id)",
        "CREATE INDEX rm_tickets_requester_idx ON rm_tickets (requester, created_at, id)",
        _fill_search,
        # the search index: trigrams of the search columns (substrings of 3 characters or more), kept in step
        # with the tickets by triggers
        "CREATE VIRTUAL TABLE rm_ticket_search USING fts5(search_public, search_staff, content='rm_tickets', "
        "content_rowid='key', tokenize='trigram case_sensitive 1')",
        "INSERT INTO rm_ticket_search (rm_ticket_search) VALUES ('rebuild')",
        "CREATE TRIGGER rm_tickets_search_insert AFTER INSERT ON rm_tickets BEGIN "
        "INSERT INTO rm_ticket_search (rowid, search_public, search_staff) "
        "VALUES (new.key, new.search_public, new.search_staff); END",
        "CREATE TRIGGER rm_tickets_search_delete AFTER DELETE ON rm_tickets BEGIN "
        "INSERT INTO rm_ticket_search (rm_ticket_search, rowid, search_public, search_staff) "
        "VALUES ('delete', old.key, old.search_public, old.search_staff); END",
        "CREATE TRIGGER rm_tickets_search_update AFTER UPDATE ON rm_tickets "
        "WHEN old.search_public IS NOT new.search_public OR old.search_staff IS NOT new.search_staff "
        "OR old.key IS NOT new.key BEGIN "
        "INSERT INTO rm_ticket_search (rm_ticket_search, rowid, search_public, search_staff) "
        "VALUES ('delete', old.key, old.search_public, old.search_staff); "
        "INSERT INTO rm_ticket_search (rowid, search_public, search_staff) "
        "VALUES (new.key, new.search_public, new.search_staff); END",
        # created/resolved per quarter hour (UTC), folded into days of any zone; replaces days in UTC
        "CREATE TABLE rm_stats_buckets (bucket TEXT PRIMARY KEY, created INTEGER NOT NULL DEFAULT 0, "
        "resolved INTEGER NOT NULL DEFAULT 0)",
        # the staff directory (roles: JSON array of the latest event's roles)
        "CREATE TABLE rm_people (id TEXT PRIMARY KEY, roles TEXT NOT NULL, first_seen TEXT NOT NULL, "
        "last_seen TEXT NOT NULL, actions INTEGER NOT NULL)",
        _fill_counters,
        "DROP TABLE rm_daily_stats",
    ],
]


def stamp(moment: datetime | None) -> str | None:
    """A time as stored: UTC, microseconds, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment is not None else None


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


class SqliteReadModel:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def migrate(self) -> None:
        async with self._db.lock:
            await self._db.conn.execute("CREATE TABLE IF NOT EXISTS rm_schema (version INTEGER NOT NULL)")
            if await self._version(self._db.conn) < 2:
                await self._db.conn.executescript(SCHEMA)  # the first release's tables (those still missing)
        async with self._db.transaction() as conn:
            version = await self._version(conn)
            for number, steps in enumerate(MIGRATIONS, start=2):
                if number <= version:
                    continue
                for step in steps:
                    if isinstance(step, str):
                        await conn.execute(step)
                    else:
                        await step(conn)
                await conn.execute("INSERT INTO rm_schema (version) VALUES (?)", (number,))

    @staticmethod
    async def _version(conn: aiosqlite.Connection) -> int:
        """The schema version (1: the first release, which did not record it)."""
        async with conn.execute("SELECT max(version) FROM rm_schema") as cursor:
            row = await cursor.fetchone()
        return int((row[0] if row else None) or 1)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTransaction]:
        async with self._db.transaction() as conn:
            yield SqliteTransaction(conn)

    async def checkpoint(self) -> int:
        rows = await self._fetch("SELECT position FROM rm_checkpoint WHERE projection = ?", (PROJECTION,))
        return int(rows[0][0]) if rows else 0

    async def ticket(self, ticket_id: str) -> TicketState | None:
        rows = await self._fetch(f"SELECT {TICKET_COLUMNS} FROM rm_tickets WHERE id = ?", (ticket_id,))
        return ticket_of(rows[0]) if rows else None

    async def list_tickets(self, query: TicketQuery) -> TicketPage:
        return page_of(query, [ticket_of(r) for r in await self._listed(query)])

    async def ticket_row(self, ticket_id: str) -> TicketRow | None:
        rows = await self._fetch(f"SELECT {TICKET_COLUMNS} FROM rm_tickets WHERE id = ?", (ticket_id,))
        return row_of(rows[0]) if rows else None

    async def list_ticket_rows(self, query: TicketQuery, *, known: Known = nothing_known) -> TicketRowPage:
        # Whole rows always: the file is local, there is nothing to save by reading keys first.
        return row_page_of(query, [row_of(r) for r in await self._listed(query)])

    async def _listed(self, query: TicketQuery) -> list[Any]:
        sql, params = list_sql(query, "rm_tickets", TICKET_COLUMNS, DIALECT)
        return await self._fetch(sql, tuple(params))

    async def history(self, ticket_id: str, *, up_to_version: int | None = None) -> list[HistoryEntry]:
        rows = await self._fetch(
            f"SELECT {HISTORY_COLUMNS} FROM rm_history WHERE ticket_id = ? AND (? IS NULL OR version <= ?) "
            "ORDER BY version",
            (ticket_id, up_to_version, up_to_version),
        )
        return [history_of(r) for r in rows]

    async def changes_after(
        self, position: int, *, requester: str | None = None, limit: int = 100
    ) -> list[HistoryEntry]:
        columns = ", ".join(f"h.{c.strip()}" for c in HISTORY_COLUMNS.split(","))
        rows = await self._fetch(
            f"SELECT {columns} FROM rm_history h JOIN rm_tickets t ON t.id = h.ticket_id "
            "WHERE h.position > ? AND (? IS NULL OR t.requester = ?) ORDER BY h.position LIMIT ?",
            (position, requester, requester, limit),
        )
        return [history_of(r) for r in rows]

    async def stats(self, *, days: int = 30, tz: str = "UTC") -> Stats:
        zone = time_zone(tz)
        places = await self._fetch("SELECT place, tickets FROM rm_place_counts WHERE tickets <> 0", ())
        buckets = await self._fetch(
            "SELECT bucket, created, resolved FROM rm_stats_buckets ORDER BY bucket DESC LIMIT ?",
            (buckets_to_read(days),),
        )
        first = await self._fetch(
            "SELECT created_at, first_response_at FROM rm_tickets WHERE first_response_at IS NOT NULL", ()
        )
        resolution = await self._fetch(
            "SELECT created_at, resolved_at FROM rm_tickets WHERE resolved_at IS NOT NULL", ()
        )
        return Stats.of(
            {r[0]: r[1] for r in places},
            per_day([(datetime.fromisoformat(r[0]), r[1], r[2]) for r in buckets], days=days, zone=zone),
            median_first_response=_median(first),
            median_resolution=_median(resolution),
        )

    async def people(self, *, role: str | None = None, prefix: str | None = None, limit: int = 200) -> list[Person]:
        where, params = [], []
        if role is not None:
            holders = roles_granting(role)
            marks = ", ".join("?" * len(holders))
            where.append(f"EXISTS (SELECT 1 FROM json_each(rm_people.roles) WHERE value IN ({marks}))")
            params += holders
        if prefix:
            where.append("lower(id) LIKE ? ESCAPE '\\'")
            params.append(like_prefix(prefix.lower()))
        rows = await self._fetch(
            f"SELECT id, roles, first_seen, last_seen, actions FROM rm_people WHERE {' AND '.join(where) or '1 = 1'} "
            "ORDER BY id LIMIT ?",
            (*params, limit),
        )
        return [
            Person(
                id=r[0],
                roles=json.loads(r[1]),
                first_seen=datetime.fromisoformat(r[2]),
                last_seen=datetime.fromisoformat(r[3]),
                actions=r[4],
            )
            for r in rows
        ]

    async def content_hash(self) -> str:
        async with self._db.reading() as conn:

            async def rows(sql: str) -> AsyncIterator[Any]:
                async with conn.execute(sql) as cursor:
                    async for row in cursor:
                        yield row

            return await digest.content_hash(rows, lambda name: f"rm_{name}", ticket_of, history_of)

    async def record_halt(self, halt: Halt) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT OR REPLACE INTO rm_halt (projection, position, reason, event_type, ticket_id, halted_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (PROJECTION, halt.position, halt.reason, halt.event_type, halt.ticket_id, stamp(halt.halted_at)),
            )

    async def recorded_halt(self) -> Halt | None:
        rows = await self._fetch(
            "SELECT h.position, h.reason, h.event_type, h.ticket_id, h.halted_at FROM rm_halt h "
            "JOIN rm_checkpoint c USING (projection) WHERE h.projection = ? AND h.position > c.position",
            (PROJECTION,),
        )
        if not rows:
            return None
        position, reason, event_type, ticket_id, halted_at = rows[0]
        return Halt(
            position=position,
            reason=reason,
            event_type=event_type,
            ticket_id=ticket_id,
            halted_at=datetime.fromisoformat(halted_at),
        )

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        async with self._db.reading() as conn, conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


class SqliteTransaction:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def checkpoint(self) -> int:
        async with self._conn.execute("SELECT position FROM rm_checkpoint WHERE projection = ?", (PROJECTION,)) as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def ticket(self, ticket_id: str) -> TicketState | None:
        async with self._conn.execute(f"SELECT {TICKET_COLUMNS} FROM rm_tickets WHERE id = ?", (ticket_id,)) as c:
            row = await c.fetchone()
        return ticket_of(row) if row else None

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
        rows = [_ticket_row(t, position) for t, position in effects.tickets.values()]
        await self._conn.executemany(UPSERT_TICKET, rows)
        await self._conn.executemany(
            f"INSERT INTO rm_history ({HISTORY_COLUMNS}, actor, roles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_history_row(e) for e in effects.events],
        )
        await _add_counts(self._conn, effects)

    async def advance(self, position: int) -> None:
        await self._conn.execute("UPDATE rm_checkpoint SET position = ? WHERE projection = ?", (position, PROJECTION))
        await self._conn.execute("DELETE FROM rm_halt WHERE projection = ? AND position <= ?", (PROJECTION, position))


_WRITTEN_COLUMNS = f"{TICKET_COLUMNS}, {_SEARCH_COLUMNS}"
# An upsert, never INSERT OR REPLACE: a replaced row would get a new key and leave the search index behind.
UPSERT_TICKET = (
    f"INSERT INTO rm_tickets ({_WRITTEN_COLUMNS}) VALUES ({', '.join('?' * len(_WRITTEN_COLUMNS.split(',')))}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c.strip()} = excluded.{c.strip()}" for c in _WRITTEN_COLUMNS.split(",")[1:])
)


async def _add_counts(conn: aiosqlite.Connection, effects: Effects) -> None:
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
            (actor, json.dumps(list(seen.roles)), stamp(seen.first_seen), stamp(seen.last_seen), seen.actions)
            for actor, seen in sorted(effects.people.items())
        ],
    )


def _ticket_row(t: TicketState, position: int) -> tuple[Any, ...]:
    return (
        t.id,
        t.version,
        t.place,
        json.dumps(dict(t.marking)),
        t.subject,
        t.description,
        t.priority,
        priority_rank(t.priority),
        t.requester,
        t.assignee,
        json.dumps([m.model_dump(mode="json") for m in t.messages]),
        json.dumps([m.model_dump(mode="json") for m in t.notes]),
        len(t.messages),
        t.escalation_reason,
        t.resolution,
        t.reopen_count,
        stamp(t.created_at),
        stamp(t.updated_at),
        stamp(t.first_response_at),
        stamp(t.resolved_at),
        stamp(t.closed_at),
        position,
        *search_texts(t),
    )


def _history_row(e: Event) -> tuple[Any, ...]:
    return (
        e.position,
        e.stream_id,
        e.version,
        e.id,
        e.type,
        TRANSITION_BY_EVENT.get(e.type),
        stamp(e.timestamp),
        json.dumps(e.data),
        e.metadata.model_dump_json(),
        e.metadata.actor,
        json.dumps(list(e.metadata.roles)),
    )


def ticket_of(row: Any) -> TicketState:
    """A ticket from a row of the ``TICKET_COLUMNS`` (read by name)."""
    return TicketState(
        id=row["id"],
        version=row["version"],
        marking=json.loads(row["marking"]),
        subject=row["subject"],
        description=row["description"],
        priority=row["priority"],
        requester=row["requester"],
        assignee=row["assignee"],
        messages=tuple(Message.model_validate(m) for m in json.loads(row["messages"])),
        notes=tuple(Message.model_validate(m) for m in json.loads(row["notes"])),
        escalation_reason=row["escalation_reason"],
        resolution=row["resolution"],
        reopen_count=row["reopen_count"],
        created_at=_time(row["created_at"]),
        updated_at=_time(row["updated_at"]),
        first_response_at=_time(row["first_response_at"]),
        resolved_at=_time(row["resolved_at"]),
        closed_at=_time(row["closed_at"]),
    )


_TIMES = ("created_at", "updated_at", "first_response_at", "resolved_at", "closed_at")
_TICKET_NAMES = tuple(c.strip() for c in TICKET_COLUMNS.split(","))


def row_of(row: Any) -> TicketRow:
    """A stored ticket as the Postgres twin returns it: times as datetimes, JSON columns as their text."""
    record = dict(zip(_TICKET_NAMES, row, strict=True))
    for name in _TIMES:
        record[name] = _time(record[name])
    return record


def history_of(row: Any) -> HistoryEntry:
    return HistoryEntry(
        position=row[0],
        ticket_id=row[1],
        version=row[2],
        event_id=row[3],
        type=row[4],
        transition=row[5],
        occurred_at=datetime.fromisoformat(row[6]),
        data=json.loads(row[7]),
        metadata=EventMetadata.model_validate_json(row[8]),
    )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _median(rows: list[Any]) -> float | None:
    """The median of ``later - earlier`` in seconds over rows of (earlier, later) stored times."""
    values = [(datetime.fromisoformat(r[1]) - datetime.fromisoformat(r[0])).total_seconds() for r in rows]
    return float(statistics.median(values)) if values else None
