"""Leader election: replicas campaign for a PostgreSQL session advisory lock on a dedicated connection.

The holder publishes; when its connection (or process) dies Postgres releases the lock and a standby takes it.
The server probes the holder's connection (TCP keepalives), so a leader whose host died loses the lock in about
25 s instead of the kernel's two hours. A leader frozen with its host alive (SIGSTOP, a stalled VM) still answers
keepalives: the server ends its session once it has been silent for ``idle_timeout``, which releases the lock. A
live leader speaks at least every poll interval and after every page it publishes (:meth:`Election.still_holding`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import asyncpg

log = logging.getLogger(__name__)

LIVENESS_TIMEOUT = 5.0  # seconds the leader waits for its lock connection to answer before standing down
PG_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class Reporting(Protocol):
    """Where a campaign's last failure is shown (the relay's status, or any other single-active task's)."""

    last_error: str | None


class LeadershipLost(Exception):
    """The connection holding the lock is gone: Postgres released the lock."""


def lock_session(dsn: str, idle_timeout: float) -> Connect:
    """Opens the dedicated connection that holds the lock: keepalives probed by the server, and ended by it
    after ``idle_timeout`` seconds of silence."""
    keepalive = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}
    idle = {"idle_session_timeout": str(int(idle_timeout * 1000))}
    server_settings = keepalive | idle
    return lambda: asyncpg.connect(dsn, timeout=10, server_settings=server_settings)


class Election:
    """Campaigns for ``lock_key`` until this replica holds it; then proves, on demand, that it still does.

    ``taken`` is the line logged when the lock is taken (another single-active task names itself there)."""

    def __init__(
        self,
        connect: Connect,
        lock_key: int,
        interval: float,
        status: Reporting,
        taken: str = "relay: this replica is now the publisher",
    ) -> None:
        self.connect, self.lock_key, self.interval, self.status = connect, lock_key, interval, status
        self.taken = taken

    async def campaign(self) -> asyncpg.Connection:
        """The connection holding the lock, once taken; tries every ``interval`` seconds, never gives up."""
        conn: asyncpg.Connection | None = None
        while True:
            try:
                if conn is None or conn.is_closed():
                    conn = await self.connect()
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.lock_key):
                    log.info(self.taken)
                    return conn
            except Exception as exc:  # any failure to connect or ask: try again, never end the task
                self.status.last_error = f"election: {exc!r}"
                if conn is not None:
                    await close(conn)
                conn = None
            await asyncio.sleep(self.interval)


async def still_holding(conn: asyncpg.Connection) -> None:
    """Raises :class:`LeadershipLost` unless the lock connection answers (which also keeps it from idling out)."""
    if conn.is_closed():
        raise LeadershipLost("lock connection closed")
    try:
        await conn.fetchval("SELECT 1", timeout=LIVENESS_TIMEOUT)
    except PG_ERRORS as exc:
        raise LeadershipLost(repr(exc)) from exc


async def close(conn: asyncpg.Connection) -> None:
    """Closes the lock connection (releasing the lock), forcibly if the server does not answer."""
    with contextlib.suppress(*PG_ERRORS):
        await asyncio.wait_for(conn.close(), 5)
    if not conn.is_closed():
        conn.terminate()
