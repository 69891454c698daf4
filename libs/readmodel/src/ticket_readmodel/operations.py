"""What operators do to a projection, kept beside its read model: skipped events and the latest rebuild.

Both adapters implement :class:`ProjectionLog` (:mod:`.postgres_operations`, :mod:`.sqlite_operations`; each read
model hands out its own with ``operations()``) on the tables of ``sql/*/..._operations.sql``. A skip is recorded,
the checkpoint passes its position and the halt goes, in one transaction; a rebuild keeps both tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from .mapping import Codec
from .queries import Queries
from .read_model import Halt

RebuildState = Literal["running", "finished", "failed"]
KEPT_TABLES = ("skipped", "rebuild", "sla_alerts")  # what a rebuild copies into the read model it swaps in


class Skip(BaseModel):
    """An event an operator chose not to apply, and why."""

    model_config = ConfigDict(frozen=True)

    position: int
    event_id: str
    event_type: str
    ticket_id: str
    actor: str
    reason: str
    skipped_at: datetime


class RebuildProgress(BaseModel):
    """The latest rebuild: ``done`` of ``total`` positions replayed."""

    model_config = ConfigDict(frozen=True)

    state: RebuildState
    done: int
    total: int
    actor: str | None
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None


class NotHalted(ValueError):
    """The projection is not halted: there is nothing to retry or skip."""


class PositionMismatch(ValueError):
    """The projection is halted elsewhere than the position asked for."""

    def __init__(self, halt: Halt, position: int) -> None:
        super().__init__(f"the projection is halted at position {halt.position}, not {position}")
        self.halt = halt


class ProjectionLog(Protocol):
    async def skip(self, skip: Skip) -> None:
        """Record ``skip``, move the checkpoint to its position and clear the halt, all at once.

        :class:`NotHalted` without a recorded halt, :class:`PositionMismatch` when it is at another position."""
        ...

    async def skips(self, limit: int = 20) -> list[Skip]:
        """The latest skips, newest first."""
        ...

    async def skipped_positions(self) -> frozenset[int]: ...

    async def clear_halt(self) -> Halt | None:
        """Forget the recorded halt (so that the projection tries the event again); the halt, or None."""
        ...

    async def rebuild_progress(self) -> RebuildProgress | None: ...

    async def save_rebuild_progress(self, progress: RebuildProgress) -> None: ...


SKIP_COLUMNS = "position, event_id, event_type, ticket_id, actor, reason, skipped_at"
REBUILD_COLUMNS = "state, done, total, actor, started_at, finished_at, error"


def skip_values(projection: str, skip: Skip, codec: Codec) -> tuple[Any, ...]:
    s = skip
    return (
        projection,
        s.position,
        s.event_id,
        s.event_type,
        s.ticket_id,
        s.actor,
        s.reason,
        codec.time_out(s.skipped_at),
    )


def skip_of(row: Any, codec: Codec) -> Skip:
    return Skip.model_validate({**dict(row), "skipped_at": codec.time_in(row["skipped_at"])})


def progress_values(projection: str, p: RebuildProgress, codec: Codec) -> tuple[Any, ...]:
    times = (codec.time_out(p.started_at), codec.time_out(p.finished_at))
    return (projection, p.state, p.done, p.total, p.actor, *times, p.error)


def progress_of(row: Any, codec: Codec) -> RebuildProgress:
    times = {"started_at": codec.time_in(row["started_at"]), "finished_at": codec.time_in(row["finished_at"])}
    return RebuildProgress.model_validate({**dict(row), **times})


class OperationsSql:
    """The statements both adapters run, with their table names and parameters."""

    def __init__(self, sql: Queries) -> None:
        t, p = sql.table, sql.param
        self.insert_skip = (
            f"INSERT INTO {t('skipped')} (projection, {SKIP_COLUMNS}) VALUES ({', '.join(p(n) for n in range(1, 9))})"
        )
        self.skips = f"SELECT {SKIP_COLUMNS} FROM {t('skipped')} WHERE projection = {p(1)} ORDER BY position DESC"
        self.skips_limited = f"{self.skips} LIMIT {p(2)}"
        self.delete_halt = f"DELETE FROM {t('halt')} WHERE projection = {p(1)}"
        self.progress = f"SELECT {REBUILD_COLUMNS} FROM {t('rebuild')} WHERE projection = {p(1)}"
        updates = ", ".join(f"{c} = excluded.{c}" for c in REBUILD_COLUMNS.split(", "))
        self.save_progress = (
            f"INSERT INTO {t('rebuild')} (projection, {REBUILD_COLUMNS}) "
            f"VALUES ({', '.join(p(n) for n in range(1, 9))}) ON CONFLICT (projection) DO UPDATE SET {updates}"
        )


def check_halt(halt: Halt | None, position: int) -> Halt:
    if halt is None:
        raise NotHalted("the projection is not halted")
    if halt.position != position:
        raise PositionMismatch(halt, position)
    return halt
