"""Multi-row writes of the PostgreSQL read model, for the projector's batches and the rebuild.

Rows are built straight from the projection's :class:`~ticket_readmodel.projection.Effects` (no model per event)
and JSON is encoded once, with orjson. Each table gets one statement per batch whatever its size: the columns
travel as arrays and ``unnest`` turns them back into rows, or as COPY records into a fresh schema.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson

from .mapping import HISTORY_WRITTEN, NO_SLA, POSTGRES, WRITTEN_COLUMNS, SlaValues, dumps, history_values, ticket_values
from .projection import Effects

# (column, type) in table order; jsonb columns travel as text (asyncpg takes nested lists for array dimensions).
TICKET_TYPES = tuple((c.name, c.pg_type) for c in WRITTEN_COLUMNS)
HISTORY_TYPES = tuple((c.name, c.pg_type) for c in HISTORY_WRITTEN)
TICKET_FIELDS = tuple(name for name, _ in TICKET_TYPES)
HISTORY_FIELDS = tuple(name for name, _ in HISTORY_TYPES)


def _insert(table: str, types: tuple[tuple[str, str], ...]) -> str:
    names = ", ".join(name for name, _ in types)
    arrays = ", ".join(f"${n}::{'text' if kind == 'jsonb' else kind}[]" for n, (_, kind) in enumerate(types, 1))
    values = ", ".join(f"{name}::jsonb" if kind == "jsonb" else name for name, kind in types)
    return f"INSERT INTO {table} ({names}) SELECT {values} FROM unnest({arrays}) AS r({names})"


def upsert_tickets_sql(q: str) -> str:
    updates = ", ".join(f"{name} = excluded.{name}" for name in TICKET_FIELDS[1:])
    return f"{_insert(f'{q}tickets', TICKET_TYPES)} ON CONFLICT (id) DO UPDATE SET {updates}"


def insert_history_sql(q: str) -> str:
    return _insert(f"{q}history", HISTORY_TYPES)


def columns(rows: Sequence[tuple[Any, ...]], width: int) -> list[list[Any]]:
    """Rows as one list per column (the ``unnest`` parameters)."""
    return [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


async def write(conn: asyncpg.Connection, q: str, effects: Effects, sla: Mapping[str, SlaValues]) -> None:
    """Everything ``effects`` changes, in one statement per table (inside the caller's transaction); ``sla``: the
    service-level columns of each ticket written."""
    if not effects.events:
        return
    tickets = [ticket_values(t, position, POSTGRES, sla.get(t.id, NO_SLA)) for t, position in effects.tickets.values()]
    await conn.execute(upsert_tickets_sql(q), *columns(tickets, len(TICKET_TYPES)))
    await conn.execute(
        insert_history_sql(q), *columns([history_values(e, POSTGRES) for e in effects.events], len(HISTORY_TYPES))
    )
    await add_counts(conn, q, effects)


async def copy_rows(
    conn: asyncpg.Connection, schema: str, table: str, fields: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """COPY rows into a table nobody else writes (a rebuild's fresh schema); needs :func:`binary_jsonb`."""
    await conn.copy_records_to_table(table, schema_name=schema, columns=fields, records=rows)


async def binary_jsonb(conn: asyncpg.Connection) -> None:
    """jsonb as pre-encoded text in both directions on ``conn``: COPY sends every column in binary."""
    await conn.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        format="binary",
        encoder=lambda text: b"\x01" + text.encode(),
        decoder=lambda data: orjson.loads(data[1:]),
    )


async def add_counts(conn: asyncpg.Connection, q: str, effects: Effects) -> None:
    """Add the batch's increments to ``stats_buckets``, ``place_counts`` and ``people`` (keys in order: no lock
    cycles).

    A place whose increments cancel out still gets its row, as it would event by event: the rows do not depend
    on how the events were batched.
    """
    if effects.buckets:
        buckets = sorted(effects.buckets)
        await conn.execute(
            f"INSERT INTO {q}stats_buckets AS b (bucket, created, resolved) "
            "SELECT * FROM unnest($1::timestamptz[], $2::int[], $3::int[]) ON CONFLICT (bucket) DO UPDATE "
            "SET created = b.created + excluded.created, resolved = b.resolved + excluded.resolved",
            buckets,
            [effects.buckets[b][0] for b in buckets],
            [effects.buckets[b][1] for b in buckets],
        )
    if effects.people:
        ids = sorted(effects.people)
        seen = [effects.people[i] for i in ids]
        await conn.execute(
            f"INSERT INTO {q}people AS p (id, roles, first_seen, last_seen, actions) "
            "SELECT i, r::jsonb, f, l, a FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], "
            "$5::int[]) AS n(i, r, f, l, a) ON CONFLICT (id) DO UPDATE SET roles = excluded.roles, "
            "first_seen = least(p.first_seen, excluded.first_seen), "
            "last_seen = greatest(p.last_seen, excluded.last_seen), "
            "actions = p.actions + excluded.actions",
            ids,
            [dumps(list(s.roles)) for s in seen],
            [s.first_seen for s in seen],
            [s.last_seen for s in seen],
            [s.actions for s in seen],
        )
    places = sorted(effects.places)
    if places:
        await conn.execute(
            f"INSERT INTO {q}place_counts AS p (place, tickets) SELECT * FROM unnest($1::text[], $2::int[]) "
            "ON CONFLICT (place) DO UPDATE SET tickets = p.tickets + excluded.tickets",
            places,
            [effects.places[p] for p in places],
        )
