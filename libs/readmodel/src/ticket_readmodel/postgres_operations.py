"""The :class:`~ticket_readmodel.operations.ProjectionLog` of the PostgreSQL read model (its schema's tables)."""

from __future__ import annotations

import asyncpg

from . import mapping
from .mapping import POSTGRES
from .operations import (
    OperationsSql,
    RebuildProgress,
    Skip,
    check_halt,
    progress_of,
    progress_values,
    skip_of,
    skip_values,
)
from .postgres import checked_schema, checkpoint_channel
from .queries import PROJECTION, Queries
from .read_model import Halt


class PostgresProjectionLog:
    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self._pool = pool
        self.schema = checked_schema(schema)
        self._sql = Queries(lambda name: f'"{self.schema}".{name}', lambda n: f"${n}")
        self._ops = OperationsSql(self._sql)

    async def skip(self, skip: Skip) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.fetchval(f"{self._sql.checkpoint()} FOR UPDATE", PROJECTION)  # projectors wait meanwhile
            row = await conn.fetchrow(self._sql.recorded_halt(), PROJECTION)
            check_halt(mapping.halt_of(row, POSTGRES) if row else None, skip.position)
            await conn.execute(self._ops.insert_skip, *skip_values(PROJECTION, skip, POSTGRES))
            for statement in self._sql.advance():
                await conn.execute(statement, PROJECTION, skip.position)
            await conn.execute("SELECT pg_notify($1, $2)", checkpoint_channel(self.schema), str(skip.position))

    async def skips(self, limit: int = 20) -> list[Skip]:
        return [skip_of(r, POSTGRES) for r in await self._pool.fetch(self._ops.skips_limited, PROJECTION, limit)]

    async def skipped_positions(self) -> frozenset[int]:
        return frozenset(r["position"] for r in await self._pool.fetch(self._ops.skips, PROJECTION))

    async def clear_halt(self) -> Halt | None:
        async with self._pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(f"{self._sql.recorded_halt()} FOR UPDATE OF h", PROJECTION)
            await conn.execute(self._ops.delete_halt, PROJECTION)
        return mapping.halt_of(row, POSTGRES) if row else None

    async def rebuild_progress(self) -> RebuildProgress | None:
        row = await self._pool.fetchrow(self._ops.progress, PROJECTION)
        return progress_of(row, POSTGRES) if row else None

    async def save_rebuild_progress(self, progress: RebuildProgress) -> None:
        await self._pool.execute(self._ops.save_progress, *progress_values(PROJECTION, progress, POSTGRES))
