"""The read model in PostgreSQL, in a schema of its own (``READ_MODEL_SCHEMA``).

Replicas: every projection transaction starts with ``SELECT ... FOR UPDATE`` on the checkpoint row, so
projector replicas apply events strictly one transaction after another, and each skips what another one
already applied. Nothing is applied twice or out of order, whichever replica Redis hands an entry to.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import asyncpg

from ticket_migrations import Migration, load
from ticket_migrations import postgres as migrations
from ticket_workflow import TicketState

from . import bulk, digest, mapping, sla_store
from .listing import Dialect, like_pattern, like_prefix, list_sql, page_of, row_page_of
from .mapping import POSTGRES, TICKET_COLUMNS
from .projection import Change, Effects, HistoryEntry
from .queries import PROJECTION, Queries
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
from .sla_tables import PostgresSla, PostgresSlaReads

if TYPE_CHECKING:
    from .postgres_operations import PostgresProjectionLog

COMPONENT = "read_model"
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
ROW_COLUMNS = ", ".join(
    f"{name}::text AS {name}" if name in mapping.JSON_COLUMNS else name for name in TICKET_COLUMNS.split(", ")
)
# And the sort's columns; the clocks are rendered on every read.
KEY_COLUMNS = "id, version, last_position, marking::text AS marking, requester, created_at, " + mapping.SLA_NAMES
KEY_NAMES = frozenset(c.split(" AS ")[-1].strip() for c in KEY_COLUMNS.split(","))


def read_model_migrations() -> list[Migration]:
    return load("ticket_readmodel", "sql/postgres")


def ticket_of(row: Any) -> TicketState:
    return mapping.ticket_of(row, POSTGRES)


def history_of(row: Any) -> HistoryEntry:
    return mapping.history_of(row, POSTGRES)


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


class PostgresReadModel(PostgresSlaReads):
    def __init__(self, pool: asyncpg.Pool, schema: str = "read_model") -> None:
        self._pool = pool
        self.schema = checked_schema(schema)
        self._q = f'"{self.schema}".'
        self._sql = Queries(lambda name: f"{self._q}{name}", lambda n: f"${n}")

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
            yield PostgresTransaction(conn, self._q, checkpoint_channel(self.schema), self._sql)

    async def checkpoint(self) -> int:
        return await read_checkpoint(self._pool, self.schema)

    async def ticket(self, ticket_id: str) -> TicketState | None:
        row = await self._pool.fetchrow(self._sql.ticket(), ticket_id)
        return ticket_of(row) if row else None

    async def list_tickets(self, query: TicketQuery) -> TicketPage:
        sql, params = list_sql(query, f"{self._q}tickets", TICKET_COLUMNS, DIALECT)
        return page_of(query, await self._pool.fetch(sql, *params), ticket_of)

    # Rows are served as asyncpg returns them: records read by name need no copy into a dict.
    async def ticket_row(self, ticket_id: str) -> TicketRow | None:
        row: TicketRow | None = await self._pool.fetchrow(self._sql.ticket(ROW_COLUMNS), ticket_id)
        return row

    async def list_ticket_rows(self, query: TicketQuery, *, known: Known = nothing_known) -> TicketRowPage:
        # Two steps when the caller knows some rows already: the page's keys (a third of the columns to send and
        # decode), then whole rows only for the others, by id. A row that changed in between makes it read the
        # page again in one statement, so that a page is always one snapshot.
        table = f"{self._q}tickets"
        if known is nothing_known:
            sql, params = list_sql(query, table, ROW_COLUMNS, DIALECT)
            return row_page_of(query, await self._pool.fetch(sql, *params))
        sort_columns = "".join(f", {c}" for c in SORT_COLUMNS[query.sort_key] if c not in KEY_NAMES)
        sql, params = list_sql(query, table, f"{KEY_COLUMNS}{sort_columns}", DIALECT)
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
        return [history_of(r) for r in await self._pool.fetch(self._sql.history(), ticket_id, up_to_version)]

    async def changes_after(
        self, position: int, *, requester: str | None = None, limit: int = 100
    ) -> list[HistoryEntry]:
        rows = await self._pool.fetch(self._sql.changes_after(), position, requester, limit)
        return [history_of(r) for r in rows]

    async def stats(self, *, days: int = 30, tz: str = "UTC") -> Stats:
        zone = time_zone(tz)
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            places = await conn.fetch(self._sql.places())
            buckets = await conn.fetch(self._sql.buckets(), buckets_to_read(days))
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

    async def people(
        self, *, role: str | None = None, prefix: str | None = None, after: str | None = None, limit: int = 200
    ) -> list[Person]:
        # Only the conditions asked for, so that a page after the first starts in the index (migration 008).
        where: list[str] = []
        params: list[Any] = []
        if role is not None:
            params.append(roles_granting(role))
            where.append(f"roles ?| ${len(params)}::text[]")
        if prefix:
            params.append(like_prefix(prefix.lower()))
            where.append(f"lower(id) LIKE ${len(params)}")
        if after is not None:
            params.append(after)
            where.append(f'id COLLATE "C" > ${len(params)}')
        params.append(limit)
        condition = " AND ".join(where) or "true"
        sql = self._sql.people(condition) + f' ORDER BY id COLLATE "C" LIMIT ${len(params)}'
        return [mapping.person_of(r, POSTGRES) for r in await self._pool.fetch(sql, *params)]

    async def content_hash(self) -> str:
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):

            async def rows(sql: str) -> AsyncIterator[Any]:
                async for row in conn.cursor(sql):
                    yield row

            return await digest.content_hash(rows, self._sql.table, POSTGRES)

    def operations(self) -> PostgresProjectionLog:
        """Skips and rebuild progress, in this schema (:mod:`ticket_readmodel.operations`)."""
        from .postgres_operations import PostgresProjectionLog  # it builds on this module

        return PostgresProjectionLog(self._pool, self.schema)

    async def record_halt(self, halt: Halt) -> None:
        await self._pool.execute(self._sql.record_halt(), *mapping.halt_values(PROJECTION, halt, POSTGRES))

    async def recorded_halt(self) -> Halt | None:
        row = await self._pool.fetchrow(self._sql.recorded_halt(), PROJECTION)
        return mapping.halt_of(row, POSTGRES) if row else None


class PostgresTransaction:
    def __init__(self, conn: asyncpg.Connection, qualifier: str, channel: str, sql: Queries) -> None:
        self._conn = conn
        self._q = qualifier
        self._channel = channel
        self._sql = sql
        self._tickets: dict[str, TicketState] = {}

    async def checkpoint(self) -> int:
        value = await self._conn.fetchval(f"{self._sql.checkpoint()} FOR UPDATE", PROJECTION)
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
        sla, policies = await sla_store.clocks_for(PostgresSla(self._conn, self._q), effects)  # service levels
        await bulk.write(self._conn, self._q, effects, sla)
        await sla_store.after_write(PostgresSla(self._conn, self._q), effects, policies)
        self._tickets.update((i, t) for i, (t, _) in effects.tickets.items())

    async def rewrite(self, effects: Effects) -> None:
        ids = list(effects.tickets)
        await self._conn.execute(f"DELETE FROM {self._q}history WHERE ticket_id = ANY($1::text[])", ids)
        sla = await sla_store.kept(PostgresSla(self._conn, self._q), ids)  # an erasure changes no timing
        kept = effects.tickets.values()
        tickets = [mapping.ticket_values(t, p, POSTGRES, sla.get(t.id, mapping.NO_SLA)) for t, p in kept]
        await self._conn.execute(bulk.upsert_tickets_sql(self._q), *bulk.columns(tickets, len(bulk.TICKET_TYPES)))
        history = [mapping.history_values(e, POSTGRES) for e in effects.events]
        await self._conn.execute(bulk.insert_history_sql(self._q), *bulk.columns(history, len(bulk.HISTORY_TYPES)))
        self._tickets.update((i, t) for i, (t, _) in effects.tickets.items())

    async def advance(self, position: int) -> None:
        for statement in self._sql.advance():
            await self._conn.execute(statement, PROJECTION, position)
        await self._conn.execute("SELECT pg_notify($1, $2)", self._channel, str(position))


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None
