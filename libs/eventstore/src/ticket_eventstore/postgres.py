"""The PostgreSQL event store.

Global positions follow commit order: an append takes a transaction-scoped advisory lock right before it draws
positions and inserts, and holds it until commit. Any event with a lower position therefore committed (or
rolled back) before a higher one became visible, so a reader that remembers "the last position I saw" never
skips an event that commits later. Appends are serialised only for the insert and the commit; loading,
deciding and the optimistic version check run concurrently. (Alternatives and measurements: bench/README.md.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

from ticket_workflow import Event, EventMetadata
from ticket_workflow.ports import ConcurrencyConflict, IdempotencyKeyTaken, RecordedResponse, StoreUnavailable

from .versions import check_versions

APPEND_LOCK = 0x5EED_0002
NOTIFY_CHANNEL = "ticket_events"

_COLUMNS = "position, event_id, stream_id, version, type, data, metadata, occurred_at"
_UNAVAILABLE = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,  # includes CannotConnectNow and ConnectionDoesNotExist
    asyncpg.OperatorInterventionError,  # e.g. AdminShutdown while the server restarts
)


async def init_connection(conn: asyncpg.Connection) -> None:
    """Decode json/jsonb into Python objects on every pooled connection."""
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10, **kwargs: Any) -> asyncpg.Pool:
    try:
        return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=init_connection, **kwargs)
    except _UNAVAILABLE as exc:
        raise StoreUnavailable(f"PostgreSQL unreachable: {exc}") from exc


class PostgresEventStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self._pool.acquire() as conn:
                yield conn
        except _UNAVAILABLE as exc:
            raise StoreUnavailable(f"PostgreSQL unreachable: {exc}") from exc

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
        async with self._connection() as conn, conn.transaction():
            if response is not None:
                await _record_response(conn, response)
            current = await conn.fetchval(
                "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1", stream_id
            )
            if current != expected_version:
                raise ConcurrencyConflict(stream_id, expected_version)
            await conn.execute("SELECT pg_advisory_xact_lock($1)", APPEND_LOCK)
            try:
                positions = await conn.fetch(_INSERT, *_columns(events))
            except asyncpg.UniqueViolationError as exc:
                raise ConcurrencyConflict(stream_id, expected_version) from exc
            last = positions[-1]["position"]
            await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, str(last))
        return [e.model_copy(update={"position": r["position"]}) for e, r in zip(events, positions, strict=True)]

    async def read_stream(self, stream_id: str, *, up_to_version: int | None = None) -> list[Event]:
        async with self._connection() as conn:
            rows = await conn.fetch(
                f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 AND ($2::int IS NULL OR version <= $2) "
                "ORDER BY version",
                stream_id,
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

    async def position_at(self, occurred_before: Any) -> int:
        """The highest position of an event that occurred before the given time (0 if none); for trimming."""
        async with self._connection() as conn:
            value: int = await conn.fetchval(
                "SELECT coalesce(max(position), 0) FROM events WHERE occurred_at < $1", occurred_before
            )
        return value


_INSERT = """
INSERT INTO events (position, event_id, stream_id, version, type, data, metadata, occurred_at)
SELECT nextval('events_position_seq'), e.event_id, e.stream_id, e.version, e.type, e.data, e.metadata, e.occurred_at
FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[])
     WITH ORDINALITY AS e(event_id, stream_id, version, type, data, metadata, occurred_at, n)
ORDER BY e.n
RETURNING position
"""


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


async def _record_response(conn: asyncpg.Connection, response: RecordedResponse) -> None:
    inserted = await conn.fetchval(
        "INSERT INTO idempotency_keys (actor, key, request_hash, status_code, body) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT DO NOTHING RETURNING true",
        response.actor,
        response.key,
        response.request_hash,
        response.status_code,
        response.body,
    )
    if not inserted:
        raise IdempotencyKeyTaken(response.actor, response.key)


def _event(row: asyncpg.Record) -> Event:
    return Event(
        id=str(row["event_id"]),
        stream_id=row["stream_id"],
        type=row["type"],
        version=row["version"],
        timestamp=row["occurred_at"],
        data=row["data"],
        metadata=EventMetadata.model_validate(row["metadata"]),
        position=row["position"],
    )
