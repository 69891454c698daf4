"""The read model in the embedded SQLite file, next to the SQLite event store (tables prefixed ``rm_``).

One :class:`~ticket_eventstore.sqlite.SqliteDatabase` serialises every operation, so the checkpoint needs no
row lock: a projection transaction runs alone. Times are stored as UTC ISO 8601 text, which sorts in time order.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from typing import Any

import aiosqlite

from ticket_eventstore.sqlite import SqliteDatabase
from ticket_workflow import TRANSITION_BY_EVENT, Event, EventMetadata, Message, TicketState

from . import digest
from .listing import HISTORY_COLUMNS, TICKET_COLUMNS, Dialect, list_sql, page_of, row_page_of
from .projection import Change, Effects, HistoryEntry, priority_rank
from .read_model import (
    DayStats,
    Halt,
    Known,
    Stats,
    TicketPage,
    TicketQuery,
    TicketRow,
    TicketRowPage,
    nothing_known,
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


def stamp(moment: datetime | None) -> str | None:
    """A time as stored: UTC, microseconds, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment is not None else None


DIALECT = Dialect(placeholder=lambda n: "?", timestamp=stamp, text_match="subject LIKE {} ESCAPE '\\'")


class SqliteReadModel:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def migrate(self) -> None:
        async with self._db.lock:
            await self._db.conn.executescript(SCHEMA)

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

    async def stats(self, *, days: int = 30) -> Stats:
        places = await self._fetch("SELECT place, tickets FROM rm_place_counts WHERE tickets <> 0", ())
        per_day = await self._fetch(
            "SELECT day, created, resolved FROM (SELECT * FROM rm_daily_stats ORDER BY day DESC LIMIT ?) ORDER BY day",
            (days,),
        )
        first = await self._fetch(
            "SELECT created_at, first_response_at FROM rm_tickets WHERE first_response_at IS NOT NULL", ()
        )
        resolution = await self._fetch(
            "SELECT created_at, resolved_at FROM rm_tickets WHERE resolved_at IS NOT NULL", ()
        )
        return Stats.of(
            {r[0]: r[1] for r in places},
            [DayStats(day=date.fromisoformat(r[0]), created=r[1], resolved=r[2]) for r in per_day],
            median_first_response=_median(first),
            median_resolution=_median(resolution),
        )

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
        await self._conn.executemany(
            f"INSERT OR REPLACE INTO rm_tickets ({TICKET_COLUMNS}) VALUES ({', '.join('?' * 21)})",
            [_ticket_row(t, position) for t, position in effects.tickets.values()],
        )
        await self._conn.executemany(
            f"INSERT INTO rm_history ({HISTORY_COLUMNS}, actor, roles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [_history_row(e) for e in effects.events],
        )
        await self._conn.executemany(
            "INSERT INTO rm_daily_stats (day, created, resolved) VALUES (?, ?, ?) ON CONFLICT (day) DO UPDATE "
            "SET created = created + excluded.created, resolved = resolved + excluded.resolved",
            [(day.isoformat(), created, resolved) for day, (created, resolved) in sorted(effects.days.items())],
        )
        await self._conn.executemany(
            "INSERT INTO rm_place_counts (place, tickets) VALUES (?, ?) ON CONFLICT (place) DO UPDATE "
            "SET tickets = tickets + excluded.tickets",
            sorted(effects.places.items()),
        )

    async def advance(self, position: int) -> None:
        await self._conn.execute("UPDATE rm_checkpoint SET position = ? WHERE projection = ?", (position, PROJECTION))
        await self._conn.execute("DELETE FROM rm_halt WHERE projection = ? AND position <= ?", (PROJECTION, position))


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
    return TicketState(
        id=row[0],
        version=row[1],
        marking=json.loads(row[3]),
        subject=row[4],
        description=row[5],
        priority=row[6],
        requester=row[8],
        assignee=row[9],
        messages=tuple(Message.model_validate(m) for m in json.loads(row[10])),
        escalation_reason=row[12],
        resolution=row[13],
        reopen_count=row[14],
        created_at=_time(row[15]),
        updated_at=_time(row[16]),
        first_response_at=_time(row[17]),
        resolved_at=_time(row[18]),
        closed_at=_time(row[19]),
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
