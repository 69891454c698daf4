"""Rebuild the read model from the event store alone, then switch to it without downtime for readers.

1. A fresh schema ``<schema>_rebuild`` gets the read-model tables and every event of the store, in batches,
   while the live projector and the query API keep using ``<schema>``.
2. Then, in one transaction: lock the live checkpoint table (live projectors wait), project the tail that
   arrived meanwhile, drop the live schema and rename the fresh one into its place. Readers wait for that
   commit (milliseconds) and then read the new tables; waiting projectors continue from the new checkpoint.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import asyncpg

from ticket_readmodel.postgres import PostgresReadModel, checked_schema
from ticket_workflow.ports import EventStore

from .projector import Projector

log = logging.getLogger("ticket_projector.rebuild")


@dataclass(frozen=True)
class RebuildReport:
    schema: str
    checkpoint: int
    content_hash: str


async def rebuild(pool: asyncpg.Pool, store: EventStore, schema: str, *, batch_size: int = 1000) -> RebuildReport:
    live = PostgresReadModel(pool, schema)
    staging = checked_schema(f"{schema}_rebuild"[:63])
    await pool.execute(f'DROP SCHEMA IF EXISTS "{staging}" CASCADE')  # leftovers of an interrupted rebuild
    fresh = PostgresReadModel(pool, staging)
    await fresh.migrate()
    await live.migrate()
    projector = Projector(fresh, store, batch_size=batch_size, attempts=1)
    bulk = await projector.catch_up()
    log.info("rebuilt %s up to position %d; switching over", staging, bulk)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f'LOCK TABLE "{schema}".checkpoint IN ACCESS EXCLUSIVE MODE')
        final = await projector.catch_up()
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.execute(f'ALTER SCHEMA "{staging}" RENAME TO "{schema}"')
    log.info("read model %s rebuilt from the event store up to position %d", schema, final)
    return RebuildReport(schema=schema, checkpoint=final, content_hash=await live.content_hash())
