"""Migrations applied to PostgreSQL: idempotent, and safe when several processes run them at once.

A session advisory lock serialises concurrent runners; each migration runs in a transaction with its record in
``schema_migrations`` (of the connection's ``search_path``).
"""

from __future__ import annotations

import asyncpg

from .files import Migration

_LOCK_KEY = 0x5EED_0001
_APPLIED = "SELECT version FROM schema_migrations WHERE component = $1"


async def apply(conn: asyncpg.Connection, component: str, migrations: list[Migration]) -> list[Migration]:
    """Apply what is missing, in order; returns the migrations applied now."""
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   component  text        NOT NULL,
                   version    integer     NOT NULL,
                   name       text        NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (component, version))"""
        )
        done = {r["version"] for r in await conn.fetch(_APPLIED, component)}
        applied = []
        for migration in migrations:
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (component, version, name) VALUES ($1, $2, $3)",
                    component,
                    migration.version,
                    migration.name,
                )
            applied.append(migration)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def pending(conn: asyncpg.Connection, component: str, migrations: list[Migration]) -> list[Migration]:
    """Migrations not applied yet (all of them when the bookkeeping table does not exist)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    done = {r["version"] for r in await conn.fetch(_APPLIED, component)} if exists else set()
    return [m for m in migrations if m.version not in done]
