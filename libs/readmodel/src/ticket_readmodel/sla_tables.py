"""The service-level statements of each database (:class:`~ticket_readmodel.sla_store.SlaTables`), and the
reads both read models offer: the policy, and the tickets whose clocks reached a warning or due instant."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import aiosqlite
import asyncpg
import orjson

from .mapping import POSTGRES, SLA_COLUMNS, SQLITE, Codec, SlaValues
from .service_levels import PolicyRecord
from .sla_store import (
    TRACK_COLUMNS,
    UPDATE_NAMES,
    Pending,
    latest_policy,
    pending_of,
    pending_sql,
    policies_before,
    policy_version,
)


class PostgresSla:
    codec: Codec = POSTGRES

    def __init__(self, db: asyncpg.Connection | asyncpg.Pool, qualifier: str) -> None:
        self.db = db
        self.q = qualifier

    def table(self, name: str) -> str:
        return f"{self.q}{name}"

    def param(self, n: int) -> str:
        return f"${n}"

    def json_out(self, value: Any) -> Any:
        return value  # the pool's codec encodes jsonb

    async def fetch(self, sql: str, *params: Any) -> Sequence[Any]:
        rows: Sequence[Any] = await self.db.fetch(sql, *params)
        return rows

    async def tracked(self, ids: Collection[str]) -> list[Any]:
        sql = f"SELECT {TRACK_COLUMNS} FROM {self.q}tickets WHERE id = ANY($1::text[])"
        return list(await self.db.fetch(sql, list(ids)))

    async def update(self, rows: dict[str, SlaValues]) -> None:
        types = ["text", *(c.pg_type for c in SLA_COLUMNS), "text"]
        names = ["id", *UPDATE_NAMES]
        arrays = ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(types, 1))
        sets = ", ".join(f"{name} = u.{name}" for name in UPDATE_NAMES)
        values = [(i, *v.values, v.intervals) for i, v in rows.items()]
        columns = [list(c) for c in zip(*values, strict=True)]
        await self.db.execute(
            f"UPDATE {self.q}tickets AS t SET {sets} FROM unnest({arrays}) AS u({', '.join(names)}) WHERE t.id = u.id",
            *columns,
        )


class SqliteSla:
    codec: Codec = SQLITE

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    def table(self, name: str) -> str:
        return f"rm_{name}"

    def param(self, n: int) -> str:
        return "?"

    def json_out(self, value: Any) -> Any:
        return orjson.dumps(value).decode()

    async def fetch(self, sql: str, *params: Any) -> Sequence[Any]:
        return list(await self.conn.execute_fetchall(sql, params))

    async def tracked(self, ids: Collection[str]) -> list[Any]:
        found: list[Any] = []
        listed = list(ids)
        for start in range(0, len(listed), 500):  # SQLite's parameter limit
            chunk = listed[start : start + 500]
            sql = f"SELECT {TRACK_COLUMNS} FROM rm_tickets WHERE id IN ({', '.join('?' * len(chunk))})"
            found += await self.conn.execute_fetchall(sql, chunk)
        return found

    async def update(self, rows: dict[str, SlaValues]) -> None:
        sets = ", ".join(f"{name} = ?" for name in UPDATE_NAMES)
        await self.conn.executemany(
            f"UPDATE rm_tickets SET {sets} WHERE id = ?",
            [
                (*(SQLITE.out(c.kind, x) for c, x in zip(SLA_COLUMNS, v.values, strict=True)), v.intervals, i)
                for i, v in rows.items()
            ],
        )


class PostgresSlaReads:
    """The service-level reads of :class:`~ticket_readmodel.postgres.PostgresReadModel`."""

    _pool: asyncpg.Pool
    _q: str

    async def sla_policy(self, version: int | None = None) -> PolicyRecord | None:
        """The latest policy (None before the first), or the given version of it."""
        db = PostgresSla(self._pool, self._q)
        return await latest_policy(db) if version is None else await policy_version(db, version)

    async def sla_policies(self, *, before: int) -> list[PolicyRecord]:
        """The policy's versions recorded before the global position ``before``, oldest first."""
        return await policies_before(PostgresSla(self._pool, self._q), before)

    async def sla_pending(self, now: datetime, *, limit: int = 100) -> list[Pending]:
        """Tickets with a running clock whose warning or due instant is at or before ``now``, nearest first."""
        rows = await self._pool.fetch(pending_sql(PostgresSla(self._pool, self._q)), now, limit)
        return [pending_of(r, POSTGRES) for r in rows]


class SqliteSlaReads:
    """The service-level reads of :class:`~ticket_readmodel.sqlite.SqliteReadModel`."""

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        raise NotImplementedError

    async def sla_policy(self, version: int | None = None) -> PolicyRecord | None:
        """The latest policy (None before the first), or the given version of it."""
        return await (latest_policy(_Reading(self)) if version is None else policy_version(_Reading(self), version))

    async def sla_policies(self, *, before: int) -> list[PolicyRecord]:
        """The policy's versions recorded before the global position ``before``, oldest first."""
        return await policies_before(_Reading(self), before)

    async def sla_pending(self, now: datetime, *, limit: int = 100) -> list[Pending]:
        """Tickets with a running clock whose warning or due instant is at or before ``now``, nearest first."""
        rows = await self._fetch(pending_sql(_Reading(self)), (SQLITE.time_out(now), limit))
        return [pending_of(r, SQLITE) for r in rows]


class _Reading(SqliteSla):
    """Reads through the read model's own connection handling."""

    def __init__(self, model: SqliteSlaReads) -> None:
        self.model = model

    async def fetch(self, sql: str, *params: Any) -> Sequence[Any]:
        return await self.model._fetch(sql, params)
