"""The PostgreSQL event store.

Global positions follow commit order: an append takes a transaction-scoped advisory lock before it checks
versions, draws positions and inserts, and holds it until commit. Any event with a lower position therefore
committed (or rolled back) before a higher one became visible, so a reader that remembers "the last position I
saw" never skips an event that commits later. (Alternatives and measurements: bench/README.md.)

The lock serialises commits, so appends are written by group commit (``group_commit``): the appends waiting in
this process share one statement (``append_batch``, migration 003), one lock, one version check, one insert and
one WAL flush. The lock is taken and released inside that statement, never across a round trip to the client.

Every wait is bounded (``DatabaseTimeouts``): a stuck appender loses the lock within seconds and the others go on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from ticket_workflow import Event, EventMetadata, VersionConflict
from ticket_workflow.ports import STAFF_ROLES, STAFF_SCAN_LIMIT, StaffSeen, StoreUnavailable

from .group_commit import GroupCommit, PendingAppend
from .pools import open_pool
from .ports import IdempotencyKeyTaken, RecordedResponse
from .versions import check_versions

log = logging.getLogger(__name__)

APPEND_LOCK = 0x5EED_0002
NOTIFY_CHANNEL = "ticket_events"

_COLUMNS = "position, event_id, stream_id, version, type, data, metadata, occurred_at"
_UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,  # e.g. "cannot switch to state" on a connection the server just closed
    asyncpg.PostgresConnectionError,  # includes CannotConnectNow and ConnectionDoesNotExist
    asyncpg.OperatorInterventionError,  # AdminShutdown while the server restarts; QueryCanceled (statement_timeout)
    asyncpg.LockNotAvailableError,  # lock_timeout: the append lock is held by a stuck writer
    asyncpg.IdleInTransactionSessionTimeoutError,
    asyncpg.InsufficientResourcesError,  # too many connections
)


@dataclass(frozen=True)
class DatabaseTimeouts:
    """Bounds on every database wait, so that no stuck client can hold the append lock (or a caller) for long.

    ``statement`` and ``lock`` are enforced by the server per statement; ``idle_in_transaction`` ends the session
    of a client that stopped in the middle of a transaction (its locks are released); ``command`` is the client's
    own bound on a round trip; ``acquire`` bounds the wait for a pooled connection. Seconds; 0 disables one.
    """

    statement: float = 5.0
    lock: float = 2.0
    idle_in_transaction: float = 5.0
    command: float = 10.0
    acquire: float = 5.0

    def server_settings(self) -> dict[str, str]:
        return {
            "statement_timeout": str(int(self.statement * 1000)),
            "lock_timeout": str(int(self.lock * 1000)),
            "idle_in_transaction_session_timeout": str(int(self.idle_in_transaction * 1000)),
        }


async def init_connection(conn: asyncpg.Connection) -> None:
    """Decode json/jsonb into Python objects on every pooled connection."""
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    timeouts: DatabaseTimeouts | None = None,
    reset_sessions: bool = True,
    name: str = "postgres",
    **kwargs: Any,
) -> asyncpg.Pool:
    """``reset_sessions=False`` for pools whose users leave no session state behind (no SET, LISTEN or session
    lock): a connection goes back to the pool without asyncpg's reset query, one round trip less per use. An
    unfinished transaction is still rolled back on release. The pool is reported under ``name`` (``pools``)."""
    if not reset_sessions:
        kwargs["reset"] = _keep_session
    if timeouts is not None:
        kwargs["server_settings"] = {**timeouts.server_settings(), **kwargs.get("server_settings", {})}
        kwargs.setdefault("command_timeout", timeouts.command or None)
    try:
        return await open_pool(dsn, name, min_size=min_size, max_size=max_size, init=init_connection, **kwargs)
    except _UNAVAILABLE as exc:
        raise StoreUnavailable(f"PostgreSQL unreachable: {exc}") from exc


async def _keep_session(conn: asyncpg.Connection) -> None:
    return None


class PostgresEventStore:
    def __init__(self, pool: asyncpg.Pool, *, acquire_timeout: float | None = None, max_batch: int = 500) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout or None
        self._group = GroupCommit(self._write_batch, max_batch=max_batch)

    @property
    def batches(self) -> int:
        """How many group-commit batches this store has written."""
        return self._group.batches

    @property
    def group_commit(self) -> GroupCommit:
        """The appends' group commit (its ``observers`` are told each batch's size)."""
        return self._group

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self._pool.acquire(timeout=self._acquire_timeout) as conn:
                yield conn
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"PostgreSQL unavailable: {type(exc).__name__}: {exc}") from exc

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        *,
        response: RecordedResponse | None = None,
    ) -> list[Event]:
        if not events:
            return []
        check_versions(stream_id, expected_version, events)
        return await self._group.submit(PendingAppend(stream_id, expected_version, events, response))

    async def _write_batch(self, batch: list[PendingAppend]) -> None:
        """Write a batch in one transaction. A database error other than a lost connection is retried append by
        append, so that one append the database refuses (bad data) does not fail the others of its batch."""
        try:
            await self._write_together(batch)
        except StoreUnavailable:
            raise
        except asyncpg.PostgresError as exc:
            if len(batch) == 1:
                raise
            log.warning("a batch of %d appends failed (%r); writing them one by one", len(batch), exc)
            for append in batch:
                try:
                    await self._write_together([append])
                except Exception as single:
                    append.fail(single)

    async def _write_together(self, batch: list[PendingAppend]) -> None:
        """One statement, however many appends: the append lock lives inside it (``append_batch``, migration 003),
        so it is never held across a round trip to this client, and a client that freezes cannot hold it."""
        responses = [a.response for a in batch]
        async with self._connection() as conn:
            row = await conn.fetchrow(
                _APPEND_BATCH,
                [a.stream_id for a in batch],
                [a.expected_version for a in batch],
                [len(a.events) for a in batch],
                [r.actor if r else None for r in responses],
                [r.key if r else None for r in responses],
                [r.request_hash if r else None for r in responses],
                [r.status_code if r else None for r in responses],
                [r.body if r else None for r in responses],
                *_columns([e for a in batch for e in a.events]),
                NOTIFY_CHANNEL,
            )
        drawn = iter(row["positions"])
        for append, verdict in zip(batch, row["verdicts"], strict=True):
            if verdict == "ok":
                append.succeed([e.model_copy(update={"position": next(drawn)}) for e in append.events])
            elif verdict == "key_taken" and append.key is not None:
                append.fail(IdempotencyKeyTaken(*append.key))
            else:
                append.fail(VersionConflict(append.expected_version, stream_id=append.stream_id))

    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, up_to_version: int | None = None
    ) -> list[Event]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND version > $2 "
                "AND ($3::int IS NULL OR version <= $3) ORDER BY version",
                stream_id,
                after_version,
                up_to_version,
            )
        return [_event(r) for r in rows]

    async def read_all(self, after_position: int = 0, limit: int = 500) -> list[Event]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2",
                after_position,
                limit,
            )
        return [_event(r) for r in rows]

    async def last_position(self) -> int:
        async with self._connection() as conn:
            value: int = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
        return value

    async def recorded_response(self, actor: str, key: str) -> RecordedResponse | None:
        async with self._connection() as conn:
            row = await conn.fetchrow(
                "SELECT request_hash, status_code, body FROM idempotency_keys WHERE actor = $1 AND key = $2",
                actor,
                key,
            )
        if row is None:
            return None
        return RecordedResponse(actor, key, row["request_hash"], row["status_code"], row["body"])

    async def staff_seen(self, after_position: int = 0, *, limit: int = STAFF_SCAN_LIMIT) -> StaffSeen:
        # One statement, one snapshot: positions commit in order, so every event up to the last one read is
        # in it, and the next call may safely continue after it.
        async with self._connection() as conn:
            row = await conn.fetchrow(_STAFF_SEEN, after_position, limit, sorted(STAFF_ROLES))
        return StaffSeen(frozenset(a for a in row["actors"] if a), row["last"], row["read"] < limit)

    async def position_at(self, occurred_before: Any) -> int:
        """The highest position of an event that occurred before the given time (0 if none); for trimming."""
        async with self._connection() as conn:
            value: int = await conn.fetchval(
                "SELECT coalesce(max(position), 0) FROM events WHERE occurred_at < $1", occurred_before
            )
        return value


def _columns(events: Sequence[Event]) -> tuple[list[Any], ...]:
    return (
        [e.id for e in events],
        [e.stream_id for e in events],
        [e.version for e in events],
        [e.type for e in events],
        [e.data for e in events],
        [e.metadata.model_dump(mode="json") for e in events],
        [e.timestamp for e in events],
    )


_APPEND_BATCH = """
SELECT verdicts, positions FROM append_batch(
    $1::text[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int[], $8::json[],
    $9::uuid[], $10::text[], $11::int[], $12::text[], $13::jsonb[], $14::jsonb[], $15::timestamptz[], $16::text)
"""


# A range scan of the primary key (position): reads only the events after the given position.
_STAFF_SEEN = """
WITH page AS (
    SELECT position, metadata FROM events WHERE position > $1 ORDER BY position LIMIT $2
)
SELECT count(*) AS read,
       coalesce(max(position), $1) AS last,
       coalesce(array_agg(DISTINCT metadata ->> 'actor') FILTER (WHERE metadata -> 'roles' ?| $3::text[]),
                '{}') AS actors
  FROM page
"""


def _event(row: asyncpg.Record) -> Event:
    # Rows were validated on their way in and the columns have the envelope's types: construct without
    # validating again (the relay and catch-ups read thousands of them per second).
    return Event.model_construct(
        id=str(row["event_id"]),
        stream_id=row["stream_id"],
        type=row["type"],
        version=row["version"],
        timestamp=row["occurred_at"],
        data=row["data"],
        metadata=EventMetadata.model_validate(row["metadata"]),
        position=row["position"],
    )
