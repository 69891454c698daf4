"""The read model in PostgreSQL, in a schema of its own (``READ_MODEL_SCHEMA``).

Replicas: every projection transaction starts with ``SELECT ... FOR UPDATE`` on the checkpoint row, so
projector replicas apply events strictly one transaction after another, and each skips what another one
already applied. Nothing is applied twice or out of order, whichever replica Redis hands an entry to.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from ticket_eventstore import migrations
from ticket_workflow import EventMetadata, Message, TicketState

from . import bulk, digest
from .listing import (
    HISTORY_COLUMNS,
    TICKET_COLUMNS,
    Dialect,
    like_pattern,
    like_prefix,
    list_sql,
    page_of,
    row_page_of,
)
from .projection import Change, Effects, HistoryEntry
from .read_model import (
    SORT_COLUMNS,
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

COMPONENT = "read_model"
PROJECTION = "tickets"
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def search(term: SearchTerm, param: Callable[[Any], str]) -> str:
    """The lower-cased search columns hold the term (trigram indexes), or the id starts with it (pattern index)."""
    pattern = param(like_pattern(term.text))
    matches = [f"search_public LIKE {pattern}"]
    if term.include_notes:
        matches.append(f"search_staff LIKE {pattern}")
    if term.id_prefix is not None:
        matches.append(f"id LIKE {param(like_prefix(term.id_prefix))}")
    return f"({' OR '.join(matches)})"


DIALECT = Dialect(placeholder=lambda n: f"${n}", timestamp=lambda t: t, search=search)
# A TicketRow's columns: the JSON ones as text, decoded only when the query API first renders a version.
ROW_COLUMNS = (
    TICKET_COLUMNS.replace("marking,", "marking::text AS marking,")
    .replace("messages,", "messages::text AS messages,")
    .replace("notes,", "notes::text AS notes,")
)
KEY_COLUMNS = "id, version, last_position, marking::text AS marking, requester"  # and the sort's columns


def read_model_migrations() -> list[migrations.Migration]:
    return migrations.load("ticket_readmodel", "sql/postgres")


def checkpoint_channel(schema: str) -> str:
    """The channel on which every projection transaction announces its new checkpoint (payload: the position).

    The NOTIFY is sent inside the transaction that advances the checkpoint, so it is delivered exactly when the
    rows it covers become visible; the query API's one listener per process wakes its waiters from it.
    """
    return f"{checked_schema(schema)}_checkpoint"


async def read_checkpoint(db: asyncpg.Pool | asyncpg.Connection, schema: str) -> int:
    """The projection's checkpoint in ``schema``, through a pool or a connection of its own (the listener's)."""
    value = await db.fetchval(
        f'SELECT position FROM "{checked_schema(schema)}".checkpoint WHERE projection = $1', PROJECTION
    )
    return int(value or 0)


def checked_schema(name: str) -> str:
    if not _SCHEMA_NAME.match(name):
        raise ValueError(f"read model schema must match {_SCHEMA_NAME.pattern}, got {name!r}")
    return name


class PostgresReadModel:
    def __init__(self, pool: asyncpg.Pool, schema: str = "read_model") -> None:
        self._pool = pool
        self.schema = checked_schema(schema)
        self._q = f'"{self.schema}".'

    async def migrate(self) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            await conn.execute(f'SET search_path TO "{self.schema}", public')
            await conn.execute("SET statement_timeout = 0")  # an index on a large read model takes its time
            try:
                await migrations.apply(conn, COMPONENT, read_model_migrations())
            finally:
                await conn.execute("RESET search_path; RESET statement_timeout")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PostgresTransaction]:
        async with self._pool.acquire() as conn, conn.transaction():
            yield PostgresTransaction(conn, self._q, checkpoint_channel(self.schema))

    async def checkpoint(self) -> int:
        return await read_checkpoint(self._pool, self.schema)

    async def ticket(self, ticket_id: str) -> TicketState | None:
        row = await self._pool.fetchrow(f"SELECT {TICKET_COLUMNS} FROM {self._q}tickets WHERE id = $1", ticket_id)
        return ticket_of(row) if row else None

    async def list_tickets(self, query: TicketQuery) -> TicketPage:
        sql, params = list_sql(query, f"{self._q}tickets", TICKET_COLUMNS, DIALECT)
        return page_of(query, [ticket_of(r) for r in await self._pool.fetch(sql, *params)])

    # Rows are served as asyncpg returns them: records read by name need no copy into a dict.
    async def ticket_row(self, ticket_id: str) -> TicketRow | None:
        row: TicketRow | None = await self._pool.fetchrow(
            f"SELECT {ROW_COLUMNS} FROM {self._q}tickets WHERE id = $1", ticket_id
        )
        return row

    async def list_ticket_rows(self, query: TicketQuery, *, known: Known = nothing_known) -> TicketRowPage:
        # Two steps when the caller knows some rows already: the page's keys (a third of the columns to send and
        # decode), then whole rows only for the others, by id. A row that changed in between makes it read the
        # page again in one statement, so that a page is always one snapshot.
        table = f"{self._q}tickets"
        if known is nothing_known:
            sql, params = list_sql(query, table, ROW_COLUMNS, DIALECT)
            return row_page_of(query, await self._pool.fetch(sql, *params))
        sort_columns = ", ".join(c for c in SORT_COLUMNS[query.sort_key] if c != "id")
        sql, params = list_sql(query, table, f"{KEY_COLUMNS}, {sort_columns}", DIALECT)
        keys: list[TicketRow] = await self._pool.fetch(sql, *params)
        unknown = [key for key in keys[: query.limit] if not known(key)]  # the one more only says a page follows
        if unknown:
            ids = [key["id"] for key in unknown]
            found = {
                row["id"]: row
                for row in await self._pool.fetch(f"SELECT {ROW_COLUMNS} FROM {table} WHERE id = ANY($1::text[])", ids)
            }
            if any(
                key["id"] not in found or found[key["id"]]["last_position"] != key["last_position"] for key in unknown
            ):
                sql, params = list_sql(query, table, ROW_COLUMNS, DIALECT)
                return row_page_of(query, await self._pool.fetch(sql, *params))
            keys = [found.get(key["id"], key) for key in keys]
        return row_page_of(query, keys)

    async def history(self, ticket_id: str, *, up_to_version: int | None = None) -> list[HistoryEntry]:
        rows = await self._pool.fetch(
            f"SELECT {HISTORY_COLUMNS} FROM {self._q}history WHERE ticket_id = $1 "
            "AND ($2::int IS NULL OR version <= $2) ORDER BY version",
            ticket_id,
            up_to_version,
        )
        return [history_of(r) for r in rows]

    async def changes_after(
        self, position: int, *, requester: str | None = None, limit: int = 100
    ) -> list[HistoryEntry]:
        columns = ", ".join(f"h.{c.strip()}" for c in HISTORY_COLUMNS.split(","))
        rows = await self._pool.fetch(
            f"SELECT {columns} FROM {self._q}history h JOIN {self._q}tickets t ON t.id = h.ticket_id "
            "WHERE h.position > $1 AND ($2::text IS NULL OR t.requester = $2) ORDER BY h.position LIMIT $3",
            position,
            requester,
            limit,
        )
        return [history_of(r) for r in rows]

    async def stats(self, *, days: int = 30, tz: str = "UTC") -> Stats:
        zone = time_zone(tz)
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            places = await conn.fetch(f"SELECT place, tickets FROM {self._q}place_counts WHERE tickets <> 0")
            buckets = await conn.fetch(
                f"SELECT bucket, created, resolved FROM {self._q}stats_buckets ORDER BY bucket DESC LIMIT $1",
                buckets_to_read(days),
            )
            medians = await conn.fetchrow(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - created_at))"
                " FILTER (WHERE first_response_at IS NOT NULL) AS first_response, "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - created_at))"
                f" FILTER (WHERE resolved_at IS NOT NULL) AS resolution FROM {self._q}tickets"
            )
        return Stats.of(
            {r["place"]: r["tickets"] for r in places},
            per_day([(r["bucket"], r["created"], r["resolved"]) for r in buckets], days=days, zone=zone),
            median_first_response=_float(medians["first_response"]),
            median_resolution=_float(medians["resolution"]),
        )

    async def people(self, *, role: str | None = None, prefix: str | None = None, limit: int = 200) -> list[Person]:
        holders = roles_granting(role) if role is not None else None
        rows = await self._pool.fetch(
            f"SELECT id, roles, first_seen, last_seen, actions FROM {self._q}people "
            "WHERE ($1::text[] IS NULL OR roles ?| $1) AND ($2::text IS NULL OR lower(id) LIKE $2) "
            'ORDER BY id COLLATE "C" LIMIT $3',
            holders,
            like_prefix(prefix.lower()) if prefix else None,
            limit,
        )
        return [person_of(r) for r in rows]

    async def content_hash(self) -> str:
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):

            async def rows(sql: str) -> AsyncIterator[Any]:
                async for row in conn.cursor(sql):
                    yield row

            return await digest.content_hash(rows, lambda name: f"{self._q}{name}", ticket_of, history_of)

    async def record_halt(self, halt: Halt) -> None:
        await self._pool.execute(
            f"INSERT INTO {self._q}halt (projection, position, reason, event_type, ticket_id, halted_at) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (projection) DO UPDATE SET position = excluded.position, "
            "reason = excluded.reason, event_type = excluded.event_type, ticket_id = excluded.ticket_id, "
            "halted_at = excluded.halted_at",
            PROJECTION,
            halt.position,
            halt.reason,
            halt.event_type,
            halt.ticket_id,
            halt.halted_at,
        )

    async def recorded_halt(self) -> Halt | None:
        row = await self._pool.fetchrow(
            f"SELECT h.position, h.reason, h.event_type, h.ticket_id, h.halted_at FROM {self._q}halt h "
            f"JOIN {self._q}checkpoint c USING (projection) WHERE h.projection = $1 AND h.position > c.position",
            PROJECTION,
        )
        return Halt(**dict(row)) if row else None


class PostgresTransaction:
    def __init__(self, conn: asyncpg.Connection, qualifier: str, channel: str) -> None:
        self._conn = conn
        self._q = qualifier
        self._channel = channel
        self._tickets: dict[str, TicketState] = {}

    async def checkpoint(self) -> int:
        value = await self._conn.fetchval(
            f"SELECT position FROM {self._q}checkpoint WHERE projection = $1 FOR UPDATE", PROJECTION
        )
        return int(value or 0)

    async def ticket(self, ticket_id: str) -> TicketState | None:
        return (await self.tickets([ticket_id])).get(ticket_id)

    async def tickets(self, ticket_ids: Collection[str]) -> dict[str, TicketState]:
        found = {i: self._tickets[i] for i in ticket_ids if i in self._tickets}
        missing = [i for i in ticket_ids if i not in found]
        if missing:
            rows = await self._conn.fetch(
                f"SELECT {TICKET_COLUMNS} FROM {self._q}tickets WHERE id = ANY($1::text[])", missing
            )
            found.update((row["id"], ticket_of(row)) for row in rows)
        return found

    async def save(self, change: Change) -> None:
        await self.write(Effects.of(change))

    async def write(self, effects: Effects) -> None:
        await bulk.write(self._conn, self._q, effects)
        self._tickets.update((i, t) for i, (t, _) in effects.tickets.items())

    async def advance(self, position: int) -> None:
        await self._conn.execute(
            f"UPDATE {self._q}checkpoint SET position = $2 WHERE projection = $1", PROJECTION, position
        )
        await self._conn.execute(
            f"DELETE FROM {self._q}halt WHERE projection = $1 AND position <= $2", PROJECTION, position
        )
        await self._conn.execute("SELECT pg_notify($1, $2)", self._channel, str(position))


def ticket_of(row: Any) -> TicketState:
    return TicketState(
        id=row["id"],
        version=row["version"],
        marking=row["marking"],
        subject=row["subject"],
        description=row["description"],
        priority=row["priority"],
        requester=row["requester"],
        assignee=row["assignee"],
        messages=tuple(Message.model_validate(m) for m in row["messages"]),
        notes=tuple(Message.model_validate(m) for m in row["notes"]),
        escalation_reason=row["escalation_reason"],
        resolution=row["resolution"],
        reopen_count=row["reopen_count"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        first_response_at=row["first_response_at"],
        resolved_at=row["resolved_at"],
        closed_at=row["closed_at"],
    )


def person_of(row: Any) -> Person:
    return Person(
        id=row["id"],
        roles=row["roles"],
        first_seen=row["first_seen"],
        last_seen=row["last_seen"],
        actions=row["actions"],
    )


def history_of(row: Any) -> HistoryEntry:
    occurred: datetime = row["occurred_at"]
    return HistoryEntry(
        position=row["position"],
        ticket_id=row["ticket_id"],
        version=row["version"],
        event_id=row["event_id"],
        type=row["type"],
        transition=row["transition"],
        occurred_at=occurred,
        data=row["data"],
        metadata=EventMetadata.model_validate(row["metadata"]),
    )


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None
