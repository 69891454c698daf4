"""The query API's connections to the read model: a fixed number, for single-statement reads.

asyncpg's pool spends more on each use than the primary-key read it wraps (a reset, a timer and a task per
release, about 60 µs, measured in the profile of ``GET /api/support-ticket/{id}``). A read leaves nothing behind on
its connection, so here a connection goes straight back to the idle list, unless its use failed (an error, a
cancelled query): then it is closed, and a new one is opened when next needed.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import asyncpg

from ticket_eventstore import pools
from ticket_eventstore.postgres import DatabaseTimeouts

Connect = Callable[[], Awaitable[asyncpg.Connection]]


# Reads are single statements: bounded like the command API's, so a stuck query answers 503 within seconds.
READ_TIMEOUTS = DatabaseTimeouts(statement=5, lock=2, idle_in_transaction=5)


class ReadConnections:
    """The subset of :class:`asyncpg.Pool` the read model uses: ``fetch``, ``fetchrow``, ``fetchval``, ``acquire``."""

    def __init__(self, connect: Connect, size: int = 10) -> None:
        self._connect = connect
        self._size = size
        self._idle: list[asyncpg.Connection] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._closed = False
        pools.track(self, "read_model", ReadConnections.stats)

    def stats(self) -> pools.PoolStats | None:
        """Connections open, the most there may be, lent out, and takers waiting; None once closed."""
        if self._closed:
            return None
        waiting = sum(1 for waiter in self._waiters if not waiter.done())
        return pools.PoolStats("read_model", self._open, self._size, self._open - len(self._idle), waiting)

    @classmethod
    async def open(cls, dsn: str, size: int = 10) -> ReadConnections:
        """Connections to ``dsn`` decoding json as the other services do; the first one is opened now, so that an
        unreachable database fails the start."""

        async def connect() -> asyncpg.Connection:
            conn = await asyncpg.connect(
                dsn, timeout=5, command_timeout=10, server_settings=READ_TIMEOUTS.server_settings()
            )
            for kind in ("json", "jsonb"):
                await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
            return conn

        connections = cls(connect, size)
        connections._put_back(await connections._take())
        return connections

    def acquire(self) -> _Lease:
        return _Lease(self)

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async with _Lease(self) as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
            return rows

    async def fetchrow(self, sql: str, *args: Any) -> asyncpg.Record | None:
        async with _Lease(self) as conn:
            row: asyncpg.Record | None = await conn.fetchrow(sql, *args)
            return row

    async def fetchval(self, sql: str, *args: Any) -> Any:
        async with _Lease(self) as conn:
            return await conn.fetchval(sql, *args)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(conn.close() for conn in idle), return_exceptions=True)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(asyncpg.InterfaceError("the read connections are closed"))

    async def _take(self) -> asyncpg.Connection:
        while True:
            if self._closed:
                raise asyncpg.InterfaceError("the read connections are closed")
            while self._idle:
                conn = self._idle.pop()
                if not conn.is_closed():
                    return conn
                self._open -= 1
            if self._open < self._size:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    self._hand_over(None)
                    raise
            conn = await self._wait()
            if conn is not None:
                return conn  # else a place was freed: open a connection on the next turn

    async def _wait(self) -> asyncpg.Connection | None:
        waiter: asyncio.Future[asyncpg.Connection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                handed = waiter.result()  # handed over just as the waiter gave up: pass it on
                if handed is None:
                    self._hand_over(None)
                else:
                    self._put_back(handed)
            raise

    def _put_back(self, conn: asyncpg.Connection) -> None:
        if self._closed or conn.is_closed() or conn.is_in_transaction():
            self._discard(conn)
        elif not self._hand_over(conn):
            self._idle.append(conn)

    def _discard(self, conn: asyncpg.Connection) -> None:
        conn.terminate()
        self._open -= 1
        self._hand_over(None)

    def _hand_over(self, conn: asyncpg.Connection | None) -> bool:
        """Give ``conn`` (or, with None, a free place) to the longest waiter; False when nobody waits."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False


class _Lease:
    def __init__(self, connections: ReadConnections) -> None:
        self._connections = connections
        self._conn: asyncpg.Connection | None = None

    async def __aenter__(self) -> asyncpg.Connection:
        self._conn = await self._connections._take()
        return self._conn

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._conn is not None
        if kind is None:
            self._connections._put_back(self._conn)
        else:  # the connection may be mid-statement or mid-cancellation: not reused
            self._connections._discard(self._conn)
