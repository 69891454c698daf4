"""The :class:`~ticket_readmodel.alerts.AlertLog` of the embedded SQLite read model (``rm_sla_alerts``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from ticket_migrations.sqlite import SqliteDatabase

from .alerts import COLUMNS, Alert, Outbox, alert_of, due_sql
from .mapping import parse_time, stamp
from .sqlite import SqliteReadModel

TABLE = "rm_sla_alerts"
INSERT = (
    f"INSERT OR IGNORE INTO {TABLE} (id, seq, ticket_id, clock, kind, due_at, warning_at, instant, raised_at, priority)"
    f" VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM {TABLE}), ?, ?, ?, ?, ?, ?, ?, ?)"
)


class SqliteAlertLog:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db
        self._due = due_sql("rm_tickets", TABLE, lambda n: f"?{n}")

    @classmethod
    def of(cls, read_model: SqliteReadModel) -> SqliteAlertLog:
        return cls(read_model._db)

    async def due(self, now: datetime, limit: int) -> list[Alert]:
        async with self._db.reading() as conn:
            rows = await conn.execute_fetchall(self._due, (stamp(now), limit))
        return [alert_of(r, parse_time) for r in rows]

    async def record(self, alerts: Sequence[Alert]) -> list[Alert]:
        recorded = []
        async with self._db.transaction() as conn:
            for a in alerts:
                values = (a.id, a.ticket_id, a.clock, a.kind, stamp(a.due_at), stamp(a.warning_at), stamp(a.instant))
                cursor = await conn.execute(INSERT, (*values, stamp(a.raised_at), a.priority))
                if cursor.rowcount:
                    async with conn.execute(f"SELECT seq FROM {TABLE} WHERE id = ?", (a.id,)) as c:
                        row = await c.fetchone()
                    recorded.append(replace(a, seq=int(row[0]) if row else 0))
        return recorded

    async def unpublished(self, limit: int) -> list[Alert]:
        sql = f"SELECT {COLUMNS} FROM {TABLE} WHERE published_at IS NULL ORDER BY seq LIMIT ?"
        async with self._db.reading() as conn:
            rows = await conn.execute_fetchall(sql, (limit,))
        return [alert_of(r, parse_time) for r in rows]

    async def mark_published(self, ids: Sequence[str], at: datetime) -> None:
        async with self._db.transaction() as conn:
            for alert_id in ids:
                sql = f"UPDATE {TABLE} SET published_at = ? WHERE id = ? AND published_at IS NULL"
                await conn.execute(sql, (stamp(at), alert_id))

    async def alerts(self, after: int, limit: int) -> list[Alert]:
        sql = f"SELECT {COLUMNS} FROM {TABLE} WHERE seq > ? ORDER BY seq LIMIT ?"
        async with self._db.reading() as conn:
            rows = await conn.execute_fetchall(sql, (after, limit))
        return [alert_of(r, parse_time) for r in rows]

    async def outbox(self) -> Outbox:
        last = f"SELECT {COLUMNS} FROM {TABLE} {{}} ORDER BY seq DESC LIMIT 1"
        async with self._db.reading() as conn:
            counted = list(await conn.execute_fetchall(f"SELECT count(*) FROM {TABLE} WHERE published_at IS NULL"))
            raised = list(await conn.execute_fetchall(last.format("")))
            published = list(await conn.execute_fetchall(last.format("WHERE published_at IS NOT NULL")))
        return Outbox(
            int(counted[0][0]),
            alert_of(raised[0], parse_time) if raised else None,
            alert_of(published[0], parse_time) if published else None,
        )
