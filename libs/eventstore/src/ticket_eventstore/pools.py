"""The process's database connection pools, as the metrics see them: size, idle, in use and acquires waiting.

:func:`ticket_eventstore.postgres.create_pool` makes a :class:`CountingPool` (an asyncpg pool that counts the
acquires not yet served) and :func:`track` s it under a name; a service's own connection list (the query API's)
tracks itself the same way. :func:`pool_stats` reads every pool still open in the process, summed by name. The
registry holds the pools weakly: a pool that is gone is forgotten.

The cost on each acquire is one small object and two integer updates.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import asyncpg
from asyncpg.pool import PoolAcquireContext


@dataclass(frozen=True)
class PoolStats:
    """One pool at one moment: ``size`` connections open (``max_size`` at most), ``in_use`` of them lent out,
    ``waiting`` acquires not yet served (waiting for a free connection, or for one being opened)."""

    name: str
    size: int
    max_size: int
    in_use: int
    waiting: int


Read = Callable[[Any], "PoolStats | None"]
_TRACKED: weakref.WeakKeyDictionary[Any, tuple[str, Read]] = weakref.WeakKeyDictionary()


def track(pool: Any, name: str, stats: Read) -> None:
    """Report ``pool`` under ``name`` while it lives; ``stats(pool)`` reads it (None once it is closed)."""
    _TRACKED[pool] = (name, stats)


def pool_stats() -> list[PoolStats]:
    """Every tracked pool that is open, summed by name, in name order."""
    totals: dict[str, PoolStats] = {}
    for pool, (name, read) in list(_TRACKED.items()):
        stats = read(pool)
        if stats is None:
            continue
        seen = totals.get(name)
        if seen is not None:
            stats = PoolStats(
                name,
                seen.size + stats.size,
                seen.max_size + stats.max_size,
                seen.in_use + stats.in_use,
                seen.waiting + stats.waiting,
            )
        totals[name] = stats
    return [totals[name] for name in sorted(totals)]


async def open_pool(dsn: str, name: str, **kwargs: Any) -> CountingPool:
    """``asyncpg.create_pool(dsn, **kwargs)`` (same defaults), counting its acquires, tracked under ``name``."""
    defaults: dict[str, Any] = {
        "connection_class": asyncpg.Connection,
        "record_class": asyncpg.Record,
        "init_size": None,
        "min_size": 10,
        "max_size": 10,
        "max_queries": 50000,
        "loop": None,
        "max_inactive_connection_lifetime": 300.0,
    }
    pool: CountingPool = await CountingPool(dsn, **(defaults | kwargs))
    track(pool, name, asyncpg_stats(name))
    return pool


class CountingPool(asyncpg.Pool):  # type: ignore[misc]  # asyncpg is untyped
    """An asyncpg pool that counts the acquires not yet served (``waiting``)."""

    waiting = 0

    def acquire(self, *, timeout: float | None = None) -> _CountedAcquire:
        return _CountedAcquire(self, super().acquire(timeout=timeout))


def asyncpg_stats(name: str) -> Read:
    def read(pool: Any) -> PoolStats | None:
        if pool.is_closing():
            return None
        size = pool.get_size()
        waiting = pool.waiting if isinstance(pool, CountingPool) else 0
        return PoolStats(name, size, pool.get_max_size(), size - pool.get_idle_size(), waiting)

    return read


class _CountedAcquire:
    """``async with pool.acquire()`` and ``await pool.acquire()``, counted while not yet served."""

    __slots__ = ("_inner", "_pool")

    def __init__(self, pool: CountingPool, inner: PoolAcquireContext) -> None:
        self._pool = pool
        self._inner = inner

    async def __aenter__(self) -> asyncpg.Connection:
        self._pool.waiting += 1
        try:
            return await self._inner.__aenter__()
        finally:
            self._pool.waiting -= 1

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._inner.__aexit__(kind, error, tb)

    def __await__(self) -> Generator[Any, None, asyncpg.Connection]:
        return self._acquired().__await__()

    async def _acquired(self) -> asyncpg.Connection:
        self._pool.waiting += 1
        try:
            connection: asyncpg.Connection = await self._inner
            return connection
        finally:
            self._pool.waiting -= 1
