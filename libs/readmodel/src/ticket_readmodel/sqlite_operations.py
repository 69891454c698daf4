"""The :class:`~ticket_readmodel.operations.ProjectionLog` of the embedded SQLite read model, and the reset an
in-place rebuild starts from."""

from __future__ import annotations

from ticket_migrations.sqlite import SqliteDatabase

from . import mapping
from .mapping import SQLITE
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
from .queries import PROJECTION
from .read_model import Halt
from .sqlite import SQL

OPS = OperationsSql(SQL)
# What a projection writes; the skips, the rebuild and the checkpoint row stay.
PROJECTED = ("rm_tickets", "rm_history", "rm_stats_buckets", "rm_place_counts", "rm_people", "rm_halt")


class SqliteProjectionLog:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    async def skip(self, skip: Skip) -> None:
        async with self._db.transaction() as conn:  # runs alone: nothing projects meanwhile
            rows = list(await conn.execute_fetchall(SQL.recorded_halt(), (PROJECTION,)))
            check_halt(mapping.halt_of(rows[0], SQLITE) if rows else None, skip.position)
            await conn.execute(OPS.insert_skip, skip_values(PROJECTION, skip, SQLITE))
            for statement in SQL.advance():
                await conn.execute(statement, (PROJECTION, skip.position))

    async def skips(self, limit: int = 20) -> list[Skip]:
        async with self._db.reading() as conn:
            rows = await conn.execute_fetchall(OPS.skips_limited, (PROJECTION, limit))
        return [skip_of(r, SQLITE) for r in rows]

    async def skipped_positions(self) -> frozenset[int]:
        async with self._db.reading() as conn:
            rows = await conn.execute_fetchall(OPS.skips, (PROJECTION,))
        return frozenset(r["position"] for r in rows)

    async def clear_halt(self) -> Halt | None:
        async with self._db.transaction() as conn:
            rows = list(await conn.execute_fetchall(SQL.recorded_halt(), (PROJECTION,)))
            await conn.execute(OPS.delete_halt, (PROJECTION,))
        return mapping.halt_of(rows[0], SQLITE) if rows else None

    async def rebuild_progress(self) -> RebuildProgress | None:
        async with self._db.reading() as conn:
            rows = list(await conn.execute_fetchall(OPS.progress, (PROJECTION,)))
        return progress_of(rows[0], SQLITE) if rows else None

    async def save_rebuild_progress(self, progress: RebuildProgress) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(OPS.save_progress, progress_values(PROJECTION, progress, SQLITE))

    async def reset(self) -> None:
        """Empty the projected tables and set the checkpoint to 0: the projection starts again from the log."""
        async with self._db.transaction() as conn:
            for table in PROJECTED:
                await conn.execute(f"DELETE FROM {table}")
            await conn.execute("UPDATE rm_checkpoint SET position = 0 WHERE projection = ?", (PROJECTION,))
