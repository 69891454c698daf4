"""The SQLite file of the embedded mode, and migrations applied to it.

One connection, one lock: the event store and the read models share the file, and every operation runs alone.
A migration runs as one script in one transaction with its record in ``schema_migrations``, as on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiosqlite

from .files import Migration

_NAME = re.compile(r"^\w+$")
_BOOKKEEPING = """CREATE TABLE IF NOT EXISTS schema_migrations (
    component  TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    applied_at TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (component, version)
)"""


def unicode_lower(text: str | None) -> str | None:
    """``lower`` as Python has it (SQLite's own folds ASCII letters only), for migrations that fill in text the
    projection lower-cases."""
    return text.lower() if text is not None else None


class SqliteDatabase:
    """One SQLite file shared by the embedded event store and read models; one operation at a time."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> SqliteDatabase:
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=FULL")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.create_function("unicode_lower", 1, unicode_lower, deterministic=True)
        return cls(conn)

    async def close(self) -> None:
        await self.conn.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            await self.conn.execute("COMMIT")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.lock:
            yield self.conn


async def applied(conn: aiosqlite.Connection, component: str) -> set[int]:
    """The versions of ``component`` recorded (creates the bookkeeping table when missing)."""
    await conn.execute(_BOOKKEEPING)
    async with conn.execute("SELECT version FROM schema_migrations WHERE component = ?", (component,)) as cursor:
        return {int(row[0]) for row in await cursor.fetchall()}


async def record(conn: aiosqlite.Connection, component: str, migration: Migration) -> None:
    """Mark ``migration`` as applied without running it (a schema an earlier release made by other means)."""
    await conn.execute(_BOOKKEEPING)
    await conn.execute(
        "INSERT OR IGNORE INTO schema_migrations (component, version, name) VALUES (?, ?, ?)",
        (component, migration.version, migration.name),
    )


async def apply(db: SqliteDatabase, component: str, migrations: list[Migration]) -> list[Migration]:
    """Apply what is missing, in order, each in a transaction of its own; returns the migrations applied now."""
    if not _NAME.match(component):
        raise ValueError(f"component names are words, got {component!r}")
    async with db.lock:
        done = await applied(db.conn, component)
        now = []
        for migration in migrations:
            if migration.version in done:
                continue
            # One script (triggers hold semicolons), its own BEGIN and COMMIT: executescript would commit an open
            # transaction before it starts.
            script = (
                f"BEGIN IMMEDIATE;\n{migration.sql}\n;\nINSERT INTO schema_migrations (component, version, name) "
                f"VALUES ('{component}', {migration.version:d}, '{migration.name}');\nCOMMIT;"
            )
            try:
                await db.conn.executescript(script)
            except BaseException:
                if db.conn.in_transaction:
                    await db.conn.execute("ROLLBACK")
                raise
            now.append(migration)
        return now
