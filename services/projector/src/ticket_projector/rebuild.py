"""Rebuild the read model from the event store alone, then switch to it without downtime for readers.

1. A fresh schema ``<schema>_rebuild`` gets the read-model tables, then the whole log is replayed into it in
   large pages: each page is projected in memory (the same :func:`project_all` as incremental processing) while
   the next one is read, its history goes in with one COPY, and each ticket is written once, at its final
   state, at the end. The live projector and the query API keep using ``<schema>`` meanwhile.
2. What the store received during the replay is applied by the incremental projector.
3. Then, in one transaction: lock the live checkpoint table (live projectors wait), project the tail that
   arrived meanwhile, copy what operators recorded (skipped events, the rebuild's progress), drop the live schema
   and rename the fresh one into its place. Readers wait for that commit (milliseconds) and then read the new
   tables; waiting projectors continue from the new checkpoint.

Events an operator skipped are passed over, as the live projector did. ``progress(done, total)`` is awaited after
every page (positions replayed of those the store held at the start).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import orjson

from ticket_eventstore.postgres import init_connection
from ticket_readmodel import bulk
from ticket_readmodel.mapping import POSTGRES, TICKET_COLUMNS, history_values, ticket_values
from ticket_readmodel.operations import KEPT_TABLES
from ticket_readmodel.postgres import PostgresReadModel, checked_schema, ticket_of
from ticket_readmodel.projection import Effects, ProjectionError, project_all
from ticket_readmodel.queries import PROJECTION
from ticket_readmodel.read_model import Halt
from ticket_readmodel.service_levels import Policies, Tracked, follow, policy_events, rows_for, tracked_of
from ticket_readmodel.sla_store import POLICY_COLUMNS, reopen_all
from ticket_readmodel.sla_tables import PostgresSla
from ticket_workflow import Event, EventMetadata, TicketState
from ticket_workflow.ports import EventStore

from . import erasure
from .projector import ProjectionHalted, Projector

log = logging.getLogger("ticket_projector.rebuild")

PAGE_SIZE = 10_000
KEEP_TICKETS = 100_000  # rows held in memory during the replay; beyond that they are written and dropped
Progress = Callable[[int, int], Awaitable[None]]


async def _no_progress(done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class RebuildReport:
    schema: str
    checkpoint: int
    content_hash: str | None  # of the rebuilt read model, when asked for (it reads every row once more)


async def rebuild(
    pool: asyncpg.Pool,
    store: EventStore,
    schema: str,
    *,
    store_pool: asyncpg.Pool | None = None,
    batch_size: int = 1000,
    page_size: int = PAGE_SIZE,
    keep_tickets: int = KEEP_TICKETS,
    content_hash: bool = True,
    progress: Progress = _no_progress,
    privacy: erasure.Opener | None = None,
) -> RebuildReport:
    """``store_pool``, the event store's PostgreSQL, lets the replay read the log's rows straight from its table
    (a third of the cost of building them through ``store``). ``privacy`` opens personal values (erased ones
    read as ``[erased]``) on every path: the pages read from the table and the incremental tail."""
    live = PostgresReadModel(pool, schema)
    staging = checked_schema(f"{schema}_rebuild"[:63])
    await pool.execute(f'DROP SCHEMA IF EXISTS "{staging}" CASCADE')  # leftovers of an interrupted rebuild
    fresh = PostgresReadModel(pool, staging)
    await fresh.migrate()
    await live.migrate()
    skipped = await live.operations().skipped_positions()
    total = await store.last_position()
    read = store.read_all if store_pool is None else LogPages(store_pool).read

    async def reading(after: int, limit: int) -> list[Event]:
        await progress(after, max(total, after))
        page = await read(after, limit)
        return await erasure.opened(privacy, page) if privacy is not None else page

    async with pool.acquire() as conn:
        await bulk.binary_jsonb(conn)
        try:
            restore = await _drop_indexes(conn, staging)
            replayed = await Replay(conn, staging, keep_tickets, skipped).run(reading, page_size)
            for statement in restore:
                await conn.execute(statement)
        finally:
            await init_connection(conn)  # the pool's own codecs again
    projector = Projector(fresh, store, batch_size=batch_size, attempts=1)
    projector.skipped = skipped
    projector.privacy = privacy
    bulk_position = await projector.catch_up()
    await progress(bulk_position, max(total, bulk_position))
    log.info("replayed %s up to position %d, then %d; switching over", staging, replayed, bulk_position)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f'LOCK TABLE "{schema}".checkpoint IN ACCESS EXCLUSIVE MODE')
        final = await projector.catch_up()
        for table in KEPT_TABLES:
            await conn.execute(f'INSERT INTO "{staging}".{table} SELECT * FROM "{schema}".{table}')
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.execute(f'ALTER SCHEMA "{staging}" RENAME TO "{schema}"')
    log.info("read model %s rebuilt from the event store up to position %d", schema, final)
    digest = await live.content_hash() if content_hash else None
    return RebuildReport(schema=schema, checkpoint=final, content_hash=digest)


class Replay:
    """The whole log into an empty schema nobody else writes: no checkpoint lock, no upserts per event."""

    def __init__(self, conn: asyncpg.Connection, schema: str, keep_tickets: int, skipped: Collection[int] = ()) -> None:
        self.conn = conn
        self.skipped = skipped
        self.schema = schema
        self.q = f'"{schema}".'
        self.keep_tickets = max(1, keep_tickets)
        self.states: dict[str, TicketState] = {}
        self.latest: dict[str, int] = {}  # ticket -> position of its last event, for the rows held
        self.written = False  # some rows were written early: a ticket not held may be in the table
        self.totals = Effects()
        self.tracked: dict[str, Tracked] = {}  # service levels: the clocks' spans of the rows held
        self.policies = Policies()  # every policy version, in log order
        self.stale = False  # the policy changed after rows were written early: re-measure the open ones at the end

    async def run(self, read: Callable[[int, int], Awaitable[list[Event]]], page_size: int) -> int:
        """Replay everything the store holds now; returns the last position replayed."""
        position = 0
        reading = asyncio.ensure_future(read(0, page_size))
        copying: asyncio.Future[None] | None = None
        try:
            while page := await reading:
                position = page[-1].position or 0
                reading = asyncio.ensure_future(read(position, page_size))  # read while projecting
                await asyncio.sleep(0)  # sends the read before the CPU-bound projection starts
                if self.written and copying is not None:
                    await copying  # the rows written early are read back on the same connection
                effects = await self._project(page)
                if copying is not None:
                    await copying
                rows = [history_values(e, POSTGRES) for e in effects.events]
                copying = asyncio.ensure_future(
                    bulk.copy_rows(self.conn, self.schema, "history", bulk.HISTORY_FIELDS, rows)
                )
                if len(self.states) > self.keep_tickets:
                    await copying
                    await self._write_tickets()
            if copying is not None:
                await copying
        finally:
            for task in (reading, copying):
                if task is not None and not task.done():
                    task.cancel()
        await self._write_tickets(final=True)
        await self._write_policies()
        await bulk.add_counts(self.conn, self.q, self.totals)
        await self.conn.execute(
            f"UPDATE {self.q}checkpoint SET position = $2 WHERE projection = $1", PROJECTION, position
        )
        return position

    async def _project(self, page: list[Event]) -> Effects:
        page = [e for e in page if e.position not in self.skipped] if self.skipped else page
        if self.written:
            await self._load({e.stream_id for e in page} - self.states.keys())
        try:
            effects = project_all(page, self.states)
        except ProjectionError as failure:
            event = next(e for e in page if e.position == failure.position)
            halt = Halt(
                position=failure.position,
                reason=failure.reason,
                event_type=event.type,
                ticket_id=event.stream_id,
                halted_at=datetime.now(UTC),
            )
            log.error("rebuild stopped at position %d: %s", failure.position, failure.reason)
            raise ProjectionHalted(halt) from failure
        for ticket_id, (_, last) in effects.tickets.items():
            self.latest[ticket_id] = last
        self.stale = self.stale or (self.written and bool(policy_events(effects)))
        self.tracked.update(follow(self.tracked, effects, self.policies))  # as sla_store.clocks_for does
        for erased in erasure.erasures(effects.system):  # as the live projector leaves them: see erasure.py
            await self._load(set(erased.data.get("tickets", [])) - self.states.keys())
            for ticket_id in erased.data.get("tickets", []):
                if ticket_id in self.states:
                    self.latest[ticket_id] = max(self.latest.get(ticket_id, 0), erased.position or 0)
        self.totals.add_counters(effects)  # quarter-hour buckets, places and people, written once at the end
        return effects

    async def _load(self, ticket_ids: set[str]) -> None:
        if ticket_ids:
            rows = await self.conn.fetch(
                f"SELECT {TICKET_COLUMNS}, sla_intervals FROM {self.q}tickets WHERE id = ANY($1::text[])",
                list(ticket_ids),
            )
            self.states.update((row["id"], ticket_of(row)) for row in rows)
            self.tracked.update(
                (r["id"], tracked_of(r["place"], r["sla_intervals"], r["sla_policy_version"])) for r in rows
            )

    async def _write_tickets(self, *, final: bool = False) -> None:
        """Write the rows held (COPY when no row was written before, else an upsert) and let them go."""
        clocks = rows_for(((s, 0) for s in self.states.values()), self.tracked, self.policies)
        rows = [ticket_values(state, self.latest[i], POSTGRES, clocks[i]) for i, state in self.states.items()]
        if rows and not self.written and final:
            await bulk.copy_rows(self.conn, self.schema, "tickets", bulk.TICKET_FIELDS, rows)
        elif rows:
            await self.conn.execute(bulk.upsert_tickets_sql(self.q), *bulk.columns(rows, len(bulk.TICKET_TYPES)))
            self.written = True
        self.states.clear()
        self.latest.clear()
        self.tracked.clear()

    async def _write_policies(self) -> None:
        """The policy versions into ``sla_policies``; open rows written before the last change re-measured."""
        db = PostgresSla(self.conn, self.q)
        for version in sorted(self.policies.by_version):
            record = self.policies.by_version[version]
            await self.conn.execute(
                f"INSERT INTO {self.q}sla_policies ({POLICY_COLUMNS}) VALUES ($1, $2, $3, $4, $5)",
                record.version,
                record.position,
                record.policy.model_dump_json(),
                record.updated_at,
                record.updated_by,
            )
        if self.stale:
            await reopen_all(db, self.policies)


class LogPages:
    """Pages of the event log read straight from its table, JSON decoded with orjson."""

    SQL = (
        "SELECT position, event_id::text, stream_id, version, type, data::text, metadata::text, occurred_at "
        "FROM events WHERE position > $1 ORDER BY position LIMIT $2"
    )

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def read(self, after: int, limit: int) -> list[Event]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(self.SQL, after, limit)
        return [
            Event(
                id=event_id,
                stream_id=stream_id,
                type=kind,
                version=version,
                timestamp=occurred_at,
                data=orjson.loads(data),
                metadata=EventMetadata.model_validate(orjson.loads(metadata)),
                position=position,
            )
            for position, event_id, stream_id, version, kind, data, metadata, occurred_at in rows
        ]


async def _drop_indexes(conn: asyncpg.Connection, schema: str) -> list[str]:
    """Drop what the replay does not need of the fresh tables' indexes; returns the statements that restore them.

    Rows go in three times faster without them, and building each index once at the end costs less than that.
    The tickets keep their primary key: rows written early are upserted and read back by it.
    """
    constraints = await conn.fetch(
        "SELECT c.conname, c.conrelid::regclass::text AS tbl, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c "
        "WHERE c.connamespace = $1::regnamespace AND c.contype IN ('p', 'u') AND c.conrelid = $2::regclass",
        schema,
        f'"{schema}".history',
    )
    indexes = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = $1 "
        "AND i.tablename IN ('history', 'tickets') AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.connamespace = $1::regnamespace AND c.conname = i.indexname)",
        schema,
    )
    for c in constraints:
        await conn.execute(f'ALTER TABLE {c["tbl"]} DROP CONSTRAINT "{c["conname"]}"')
    for i in indexes:
        await conn.execute(f'DROP INDEX "{schema}"."{i["indexname"]}"')
    restore = [f'ALTER TABLE {c["tbl"]} ADD CONSTRAINT "{c["conname"]}" {c["def"]}' for c in constraints]
    return restore + [i["indexdef"] for i in indexes]
