"""The :class:`~ticket_readmodel.alerts.AlertLog` of the PostgreSQL read model (its schema's ``sla_alerts``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import asyncpg

from .alerts import COLUMNS, Alert, Outbox, alert_of, due_sql
from .postgres import PostgresReadModel, checked_schema

INSERT = """
INSERT INTO {t} (id, seq, ticket_id, clock, kind, due_at, warning_at, instant, raised_at, priority)
SELECT a.id, (SELECT coalesce(max(seq), 0) FROM {t}) + a.n, a.ticket_id, a.clock, a.kind, a.due_at, a.warning_at,
       a.instant, a.raised_at, a.priority
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
            $7::timestamptz[], $8::timestamptz[], $9::text[])
     WITH ORDINALITY AS a(id, ticket_id, clock, kind, due_at, warning_at, instant, raised_at, priority, n)
ON CONFLICT DO NOTHING
RETURNING seq, id
"""


class PostgresAlertLog:
    def __init__(self, pool: asyncpg.Pool, schema: str = "read_model") -> None:
        self._pool = pool
        self._t = f'"{checked_schema(schema)}".sla_alerts'
        self._due = due_sql(f'"{schema}".tickets', self._t, lambda n: f"${n}")

    @classmethod
    def of(cls, read_model: PostgresReadModel) -> PostgresAlertLog:
        return cls(read_model._pool, read_model.schema)

    async def due(self, now: datetime, limit: int) -> list[Alert]:
        return [alert_of(r) for r in await self._pool.fetch(self._due, now, limit)]

    async def record(self, alerts: Sequence[Alert]) -> list[Alert]:
        if not alerts:
            return []
        columns = list(
            zip(
                *[
                    (a.id, a.ticket_id, a.clock, a.kind, a.due_at, a.warning_at, a.instant, a.raised_at, a.priority)
                    for a in alerts
                ],
                strict=True,
            )
        )
        async with self._pool.acquire() as conn, conn.transaction():
            # One writer at a time: ``seq`` follows the table's highest (which a rebuild copies), without gaps.
            await conn.execute(f"LOCK TABLE {self._t} IN SHARE ROW EXCLUSIVE MODE")
            rows = await conn.fetch(INSERT.format(t=self._t), *[list(c) for c in columns])
        seqs = {r["id"]: r["seq"] for r in rows}
        return [replace(a, seq=seqs[a.id]) for a in alerts if a.id in seqs]

    async def unpublished(self, limit: int) -> list[Alert]:
        sql = f"SELECT {COLUMNS} FROM {self._t} WHERE published_at IS NULL ORDER BY seq LIMIT $1"
        return [alert_of(r) for r in await self._pool.fetch(sql, limit)]

    async def mark_published(self, ids: Sequence[str], at: datetime) -> None:
        sql = f"UPDATE {self._t} SET published_at = $2 WHERE id = ANY($1::text[]) AND published_at IS NULL"
        await self._pool.execute(sql, list(ids), at)

    async def alerts(self, after: int, limit: int) -> list[Alert]:
        sql = f"SELECT {COLUMNS} FROM {self._t} WHERE seq > $1 ORDER BY seq LIMIT $2"
        return [alert_of(r) for r in await self._pool.fetch(sql, after, limit)]

    async def outbox(self) -> Outbox:
        last = f"SELECT {COLUMNS} FROM {self._t} {{}} ORDER BY seq DESC LIMIT 1"
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            unpublished = await conn.fetchval(f"SELECT count(*) FROM {self._t} WHERE published_at IS NULL")
            raised = await conn.fetchrow(last.format(""))
            published = await conn.fetchrow(last.format("WHERE published_at IS NOT NULL"))
        return Outbox(
            int(unpublished),
            alert_of(raised) if raised is not None else None,
            alert_of(published) if published is not None else None,
        )
