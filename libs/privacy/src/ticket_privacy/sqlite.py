"""The key store in the embedded SQLite file, beside the event store (``sql/sqlite``).

``secure_delete`` is switched on for the file's connection: a destroyed key's bytes and the text the erasure
rewrites are overwritten in the file, not only unlinked from it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

from ticket_migrations import Migration, load
from ticket_migrations import sqlite as migrations
from ticket_migrations.sqlite import SqliteDatabase

from .keys import ERASED_REQUEST, Scrub, SubjectKey

COMPONENT = "privacy"
_COLUMNS = "key_id, subject, wrapped, created_at, destroyed_at"


def sqlite_privacy_migrations() -> list[Migration]:
    return load("ticket_privacy", "sql/sqlite")


class SqliteKeyStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self._db = db

    @classmethod
    async def create(cls, db: SqliteDatabase) -> SqliteKeyStore:
        store = cls(db)
        await store.migrate()
        return store

    async def migrate(self) -> None:
        async with self._db.lock:
            await self._db.conn.execute("PRAGMA secure_delete=ON")
        await migrations.apply(self._db, COMPONENT, sqlite_privacy_migrations())

    async def active_key(self, subject: str) -> SubjectKey | None:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM subject_keys WHERE subject = ? AND destroyed_at IS NULL", (subject,)
        )
        return _key(rows[0]) if rows else None

    async def add_key(self, key: SubjectKey) -> SubjectKey:
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO subject_keys (key_id, subject, wrapped) VALUES (?, ?, ?) "
                "ON CONFLICT (subject) WHERE destroyed_at IS NULL DO NOTHING",
                (key.key_id, key.subject, key.wrapped),
            )
            async with conn.execute(
                f"SELECT {_COLUMNS} FROM subject_keys WHERE subject = ? AND destroyed_at IS NULL", (key.subject,)
            ) as cursor:
                row = await cursor.fetchone()
        return _key(row)

    async def keys(self, key_ids: Collection[str]) -> dict[str, SubjectKey]:
        ids = list(key_ids)
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = await self._fetch(f"SELECT {_COLUMNS} FROM subject_keys WHERE key_id IN ({marks})", tuple(ids))
        return {row["key_id"]: _key(row) for row in rows}

    async def subject_keys(self, subject: str) -> list[SubjectKey]:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM subject_keys WHERE subject = ? ORDER BY created_at, key_id", (subject,)
        )
        return [_key(row) for row in rows]

    async def destroy(self, subject: str) -> list[str]:
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT key_id FROM subject_keys WHERE subject = ? AND destroyed_at IS NULL", (subject,)
            ) as cursor:
                ids = [row[0] for row in await cursor.fetchall()]
            await conn.execute(
                "UPDATE subject_keys SET wrapped = NULL, destroyed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                "WHERE subject = ? AND destroyed_at IS NULL",
                (subject,),
            )
        return ids

    async def tickets_of(self, subject: str) -> list[str]:
        rows = await self._fetch(
            "SELECT stream_id FROM events WHERE type = 'Created' AND json_extract(data, '$.requester') = ? "
            "ORDER BY position",
            (subject,),
        )
        return [row["stream_id"] for row in rows]

    async def scrub_responses(self, ticket_ids: Collection[str], scrub: Scrub) -> int:
        ids = list(ticket_ids)
        if not ids:
            return 0
        marks = ", ".join("?" * len(ids))
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT actor, key, body FROM idempotency_keys "
                f"WHERE json_extract(body, '$.aggregate_id') IN ({marks})",
                tuple(ids),
            ) as cursor:
                rows = list(await cursor.fetchall())
            for row in rows:
                await conn.execute(
                    "UPDATE idempotency_keys SET body = ?, request_hash = ? WHERE actor = ? AND key = ?",
                    (json.dumps(scrub(json.loads(row["body"]))), ERASED_REQUEST, row["actor"], row["key"]),
                )
        return len(rows)

    async def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        async with self._db.reading() as conn, conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _key(row: Any) -> SubjectKey:
    wrapped = row["wrapped"]
    return SubjectKey(
        row["key_id"],
        row["subject"],
        bytes(wrapped) if wrapped is not None else None,
        _time(row["created_at"]),
        _time(row["destroyed_at"]),
    )
