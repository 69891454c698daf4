"""``ticket-projector run | rebuild | migrate``."""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict

from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_readmodel.postgres import PostgresReadModel
from ticket_service.logs import configure_logging

from .rebuild import RebuildReport, rebuild
from .settings import ProjectorSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ticket-projector", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="consume the event stream into the read models; health port on PORT")
    rebuilding = commands.add_parser("rebuild", help="rebuild the read models from the event store and switch over")
    rebuilding.add_argument(
        "--content-hash",
        action="store_true",
        help="also print a hash of the rebuilt read model (compare it with another replica's or an earlier run's)",
    )
    commands.add_parser("migrate", help="create or upgrade the read-model tables")
    args = parser.parse_args(argv)
    settings = ProjectorSettings()
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "run":
        import uvicorn

        from .app import create_app

        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level.lower())
    elif args.command == "rebuild":
        print(json.dumps(asdict(asyncio.run(_rebuild(settings, content_hash=args.content_hash)))))
    else:
        asyncio.run(_migrate(settings))


async def _migrate(settings: ProjectorSettings) -> None:
    pool = await create_pool(settings.database_url, max_size=1)
    try:
        await PostgresReadModel(pool, settings.read_model_schema).migrate()
    finally:
        await pool.close()


async def _rebuild(settings: ProjectorSettings, *, content_hash: bool) -> RebuildReport:
    pool = await create_pool(settings.database_url, max_size=4)
    store_pool = pool if settings.store_url == settings.database_url else await create_pool(settings.store_url)
    try:
        return await rebuild(
            pool,
            PostgresEventStore(store_pool),
            settings.read_model_schema,
            store_pool=store_pool,
            batch_size=settings.batch_size,
            content_hash=content_hash,
        )
    finally:
        await pool.close()
        if store_pool is not pool:
            await store_pool.close()
