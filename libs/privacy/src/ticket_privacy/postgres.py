"""The key store in PostgreSQL: table ``subject_keys`` of the event store's database (``sql/postgres``)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import asyncpg

from ticket_migrations import Migration, load
from ticket_migrations import postgres as migrations

from .keys import ERASED_REQUEST, Scrub, SubjectKey

COMPONENT = "privacy"
_COLUMNS = "key_id, subject, wrapped, created_at, destroyed_at"


def privacy_migrations() -> list[Migration]:
    return load("ticket_privacy", "sql/postgres")


class PostgresKeyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def migrate(self) -> None:
        async with self._pool.acquire() as conn:
            await migrations.apply(conn, COMPONENT, privacy_migrations())

    async def active_key(self, subject: str) -> SubjectKey | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM subject_keys WHERE subject = $1 AND destroyed_at IS NULL", subject
        )
        return _key(row) if row else None

    async def add_key(self, key: SubjectKey) -> SubjectKey:
        async with self._pool.acquire() as conn:
            row = await conn.fetchrow(
                f"INSERT INTO subject_keys (key_id, subject, wrapped) VALUES ($1, $2, $3) "
                f"ON CONFLICT (subject) WHERE destroyed_at IS NULL DO NOTHING RETURNING {_COLUMNS}",
                key.key_id,
                key.subject,
                key.wrapped,
            )
            if row is None:  # a concurrent writer created the subject's key first
                row = await conn.fetchrow(
                    f"SELECT {_COLUMNS} FROM subject_keys WHERE subject = $1 AND destroyed_at IS NULL", key.subject
                )
        return _key(row)

    async def keys(self, key_ids: Collection[str]) -> dict[str, SubjectKey]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM subject_keys WHERE key_id = ANY($1::text[])", list(key_ids)
        )
        return {row["key_id"]: _key(row) for row in rows}

    async def subject_keys(self, subject: str) -> list[SubjectKey]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM subject_keys WHERE subject = $1 ORDER BY created_at, key_id", subject
        )
        return [_key(row) for row in rows]

    async def destroy(self, subject: str) -> list[str]:
        rows = await self._pool.fetch(
            "UPDATE subject_keys SET wrapped = NULL, destroyed_at = now() "
            "WHERE subject = $1 AND destroyed_at IS NULL RETURNING key_id",
            subject,
        )
        return [row["key_id"] for row in rows]

    async def tickets_of(self, subject: str) -> list[str]:
        rows = await self._pool.fetch(
            "SELECT stream_id FROM events WHERE type = 'Created' AND data ->> 'requester' = $1 ORDER BY position",
            subject,
        )
        return [row["stream_id"] for row in rows]

    async def scrub_responses(self, ticket_ids: Collection[str], scrub: Scrub) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT actor, key, body::text AS body FROM idempotency_keys "
                "WHERE body ->> 'aggregate_id' = ANY($1::text[]) FOR UPDATE",
                list(ticket_ids),
            )
            for row in rows:
                await conn.execute(
                    "UPDATE idempotency_keys SET body = $3::text::json, request_hash = $4 "
                    "WHERE actor = $1 AND key = $2",
                    row["actor"],
                    row["key"],
                    json.dumps(scrub(json.loads(row["body"]))),
                    ERASED_REQUEST,
                )
        return len(rows)


def _key(row: Any) -> SubjectKey:
    wrapped = row["wrapped"]
    return SubjectKey(
        row["key_id"],
        row["subject"],
        bytes(wrapped) if wrapped is not None else None,
        row["created_at"],
        row["destroyed_at"],
    )
