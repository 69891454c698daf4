"""Rebuilds an operator starts, one at a time, with their progress recorded in the read model.

:class:`PostgresRebuilder` runs :func:`ticket_projector.rebuild.rebuild` as a task of the process that asked (a
projector replica or the CLI) on pools of its own, holding a session advisory lock for as long as it runs: any
replica or CLI sees that it runs, and a second one is refused (:class:`Refused`, 409 ``rebuild_running``). A
recorded rebuild still ``running`` whose lock nobody holds was interrupted (its process stopped) and is shown as
failed. The embedded mode's rebuilder is :class:`ticket_projector.inprocess.InPlaceRebuilder`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg

from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_privacy import Privacy, key_encryption_key
from ticket_privacy.postgres import PostgresKeyStore
from ticket_readmodel.operations import ProjectionLog, RebuildProgress
from ticket_readmodel.postgres import checked_schema
from ticket_readmodel.postgres_operations import PostgresProjectionLog

from .rebuild import RebuildReport, rebuild
from .settings import ProjectorSettings

log = logging.getLogger("ticket_projector.rebuild")

REBUILD_LOCK = 0x5EED_0004  # with a checksum of the schema's name: one rebuild per read-model schema
INTERRUPTED = "interrupted: the process running the rebuild stopped before it finished"

OnProgress = Callable[[int, int], None]


class Refused(Exception):
    """An operation refused in the current state: ``status`` and ``code`` as the admin API answers them."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class Rebuilder(Protocol):
    async def running(self) -> bool: ...

    async def progress(self) -> RebuildProgress | None:
        """The latest rebuild (an interrupted one as failed), or None before the first."""
        ...

    async def start(self, actor: str | None, on_progress: OnProgress | None = None) -> asyncio.Task[Any]:
        """Start a rebuild; :class:`Refused` while one runs."""
        ...


async def shown_progress(rebuilder: Rebuilder, log: ProjectionLog) -> RebuildProgress | None:
    progress = await log.rebuild_progress()
    if progress is not None and progress.state == "running" and not await rebuilder.running():
        return progress.model_copy(update={"state": "failed", "error": INTERRUPTED})
    return progress


def running_refusal() -> Refused:
    return Refused(409, "rebuild_running", "a rebuild is already running; wait for it to finish")


def rebuild_lock(schema: str) -> int:
    return (REBUILD_LOCK << 32) | zlib.crc32(schema.encode())


async def lock_held(pool: asyncpg.Pool, key: int) -> bool:
    """Whether some session of this database holds the advisory lock ``key`` (one bigint)."""
    held = await pool.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND classid::bigint = $1 AND objid::bigint = $2)",
        key >> 32,
        key & 0xFFFF_FFFF,
    )
    return bool(held)


class PostgresRebuilder:
    """``pool`` reads the state; each rebuild opens pools of its own on ``database_url`` / ``store_url``."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        database_url: str,
        store_url: str,
        schema: str,
        batch_size: int = 1000,
        content_hash: bool = False,
        kek: bytes | None = None,
    ) -> None:
        self.kek = kek  # opens personal values (ticket_privacy) when set
        self.pool = pool
        self.database_url, self.store_url = database_url, store_url
        self.schema = checked_schema(schema)
        self.batch_size = batch_size
        self.content_hash = content_hash
        self.key = rebuild_lock(self.schema)
        self.tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def of(cls, pool: asyncpg.Pool, s: ProjectorSettings, *, content_hash: bool = False) -> PostgresRebuilder:
        return cls(
            pool,
            database_url=s.database_url,
            store_url=s.store_url,
            schema=s.read_model_schema,
            batch_size=s.batch_size,
            content_hash=content_hash,
            kek=key_encryption_key(debug=s.debug),
        )

    async def running(self) -> bool:
        return await lock_held(self.pool, self.key)

    async def progress(self) -> RebuildProgress | None:
        return await shown_progress(self, PostgresProjectionLog(self.pool, self.schema))

    async def start(self, actor: str | None, on_progress: OnProgress | None = None) -> asyncio.Task[RebuildReport]:
        pool = await create_pool(self.database_url, max_size=4)
        store_pool = pool if self.store_url == self.database_url else await create_pool(self.store_url, max_size=2)
        lock: asyncpg.Connection | None = None
        try:
            lock = await pool.acquire()
            if not await lock.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                raise running_refusal()
            total = await PostgresEventStore(store_pool).last_position()
            started = RebuildProgress(state="running", done=0, total=total, actor=actor, started_at=_now())
            await PostgresProjectionLog(pool, self.schema).save_rebuild_progress(started)
        except BaseException:
            await _close(pool, store_pool, lock, self.key)
            raise
        task = asyncio.create_task(self._run(pool, store_pool, lock, started, on_progress), name="rebuild")
        self.tasks.add(task)
        task.add_done_callback(forget(self.tasks))
        return task

    async def stop(self) -> None:
        """Cancel a rebuild of this process (it is recorded as failed; the live read model is untouched)."""
        for task in list(self.tasks):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    async def _run(
        self,
        pool: asyncpg.Pool,
        store_pool: asyncpg.Pool,
        lock: asyncpg.Connection,
        started: RebuildProgress,
        on_progress: OnProgress | None,
    ) -> RebuildReport:
        progress_log = PostgresProjectionLog(pool, self.schema)

        async def progress(done: int, total: int) -> None:
            await progress_log.save_rebuild_progress(started.model_copy(update={"done": done, "total": total}))
            if on_progress is not None:
                on_progress(done, total)

        try:
            report = await rebuild(
                pool,
                PostgresEventStore(store_pool),
                self.schema,
                store_pool=store_pool,
                batch_size=self.batch_size,
                content_hash=self.content_hash,
                progress=progress,
                privacy=Privacy(self.kek, PostgresKeyStore(store_pool)) if self.kek is not None else None,
            )
            total = max(started.total, report.checkpoint)
            finished = {"state": "finished", "done": total, "total": total, "finished_at": _now()}
            await progress_log.save_rebuild_progress(started.model_copy(update=finished))
            if on_progress is not None:
                on_progress(total, total)
            return report
        except BaseException as exc:
            log.exception("rebuild of %s failed", self.schema)
            failed = {"state": "failed", "finished_at": _now(), "error": f"{type(exc).__name__}: {exc}"[:500]}
            with contextlib.suppress(Exception):
                current = await progress_log.rebuild_progress() or started
                await progress_log.save_rebuild_progress(current.model_copy(update=failed))
            raise
        finally:
            await _close(pool, store_pool, lock, self.key)


async def _close(pool: asyncpg.Pool, store_pool: asyncpg.Pool, lock: asyncpg.Connection | None, key: int) -> None:
    if lock is not None:
        with contextlib.suppress(Exception):
            await lock.execute("SELECT pg_advisory_unlock($1)", key)
        with contextlib.suppress(Exception):
            await pool.release(lock)
    await pool.close()
    if store_pool is not pool:
        await store_pool.close()


def forget(tasks: set[asyncio.Task[Any]]) -> Callable[[asyncio.Task[Any]], None]:
    def done(task: asyncio.Task[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved: the failure is logged and recorded already

    return done


def _now() -> datetime:
    return datetime.now(UTC)
