"""The SQLite event store: the embedded twin of the PostgreSQL store, for one process and one file.

One connection, one lock: every operation runs alone, so positions follow commit order trivially. The schema is
``sql/sqlite``, applied by :mod:`ticket_migrations.sqlite` when the store is created.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ticket_migrations import sqlite as migrations
from ticket_migrations.sqlite import SqliteDatabase
from ticket_workflow import Event, EventMetadata, VersionConflict
from ticket_workflow.ports import STAFF_ROLES, STAFF_SCAN_LIMIT, StaffSeen

from .migrations import EVENT_STORE, sqlite_event_store_migrations
from .ports import IdempotencyKeyTaken, RecordedResponse
from .versions import check_versions

__all__ = ["SqliteDatabase", "SqliteEventStore"]  # the file's handle is the runner's; named here for callers


class SqliteEventStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @classmethod
    async def create(cls, db: SqliteDatabase) -> SqliteEventStore:
        await migrations.apply(db, EVENT_STORE, sqlite_event_store_migrations())
        return cls(db)

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
        stored = []
        async with self._db.transaction() as conn:
            if response is not None:
                cursor = await conn.execute(
                    "INSERT INTO idempotency_keys (actor, key, request_hash, status_code, body) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (
                        response.actor,
                        response.key,
                        response.request_hash,
                        response.status_code,
                        json.dumps(response.body),
                    ),
                )
                if cursor.rowcount == 0:
                    raise IdempotencyKeyTaken(response.actor, response.key)
            async with conn.execute(
                "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ?", (stream_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None or row[0] != expected_version:
                raise VersionConflict(expected_version, stream_id=stream_id)
            for event in events:
                cursor = await conn.execute(
                    "INSERT INTO events (event_id, stream_id, version, type, data, metadata, occurred_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        event.id,
                        event.stream_id,
                        event.version,
                        event.type,
                        json.dumps(event.data),
                        event.metadata.model_dump_json(),
                        event.timestamp.isoformat(),
                    ),
                )
                stored.append(event.model_copy(update={"position": cursor.lastrowid}))
        return stored

    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, up_to_version: int | None = None
    ) -> list[Event]:
        return await self._select(
            "WHERE stream_id = ? AND version > ? AND (? IS NULL OR version <= ?) ORDER BY version",
            (stream_id, after_version, up_to_version, up_to_version),
        )

    async def read_all(self, after_position: int = 0, limit: int = 500) -> list[Event]:
        return await self._select("WHERE position > ? ORDER BY position LIMIT ?", (after_position, limit))

    async def last_position(self) -> int:
        async with self._db.reading() as conn, conn.execute("SELECT coalesce(max(position), 0) FROM events") as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def recorded_response(self, actor: str, key: str) -> RecordedResponse | None:
        async with (
            self._db.reading() as conn,
            conn.execute(
                "SELECT request_hash, status_code, body FROM idempotency_keys WHERE actor = ? AND key = ?",
                (actor, key),
            ) as cursor,
        ):
            row = await cursor.fetchone()
        if row is None:
            return None
        return RecordedResponse(actor, key, row["request_hash"], row["status_code"], json.loads(row["body"]))

    async def staff_seen(self, after_position: int = 0, *, limit: int = STAFF_SCAN_LIMIT) -> StaffSeen:
        staff = json.dumps(sorted(STAFF_ROLES))
        async with self._db.reading() as conn:  # no append runs between the two statements
            async with conn.execute(_PAGE, (after_position, after_position, limit)) as cursor:
                read, last = await cursor.fetchone() or (0, after_position)
            async with conn.execute(_STAFF_IN, (after_position, last, staff)) as cursor:
                actors = frozenset(row[0] for row in await cursor.fetchall() if row[0])
        return StaffSeen(actors, last, read < limit)

    async def _select(self, where: str, params: tuple[Any, ...]) -> list[Event]:
        sql = f"SELECT position, event_id, stream_id, version, type, data, metadata, occurred_at FROM events {where}"
        async with self._db.reading() as conn, conn.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        return [
            Event(
                id=r["event_id"],
                stream_id=r["stream_id"],
                type=r["type"],
                version=r["version"],
                timestamp=datetime.fromisoformat(r["occurred_at"]),
                data=json.loads(r["data"]),
                metadata=EventMetadata.model_validate_json(r["metadata"]),
                position=r["position"],
            )
            for r in rows
        ]


# Both range scans of the primary key (position): only the events after the given position are read.
_PAGE = """
SELECT count(*), coalesce(max(position), ?)
  FROM (SELECT position FROM events WHERE position > ? ORDER BY position LIMIT ?)
"""
_STAFF_IN = """
SELECT DISTINCT json_extract(metadata, '$.actor') FROM events
 WHERE position > ? AND position <= ?
   AND EXISTS (SELECT 1 FROM json_each(metadata, '$.roles') AS role
                WHERE role.value IN (SELECT value FROM json_each(?)))
"""
