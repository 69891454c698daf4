"""``ticket-webhooks run | migrate``: the webhook dispatcher and its admin API, or its schema."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ticket_eventstore.postgres import create_pool
from ticket_migrations.postgres import apply
from ticket_service.logs import configure_logging

from .migrations import WEBHOOKS, webhooks_migrations
from .settings import WebhooksSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ticket-webhooks", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="deliver events and alerts to the endpoints; admin API on HOST:PORT")
    commands.add_parser("migrate", help="create or upgrade the webhooks schema")
    args = parser.parse_args(argv)
    settings = WebhooksSettings()
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "migrate":
        try:
            asyncio.run(_migrate(settings))
        except OSError as exc:
            print(f"ticket-webhooks migrate: cannot reach the database: {exc}", file=sys.stderr)
            return 3
        return 0
    return _run(settings)


def _run(settings: WebhooksSettings) -> int:
    import uvicorn

    from ticket_privacy import MissingDataKey
    from ticket_service.auth import MissingKey

    from .app import create_app
    from .sealing import MissingSecretKey

    try:
        app = create_app(settings)
    except (MissingKey, MissingSecretKey, MissingDataKey) as exc:
        print(f"ticket-webhooks: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
    return 0


async def _migrate(settings: WebhooksSettings) -> None:
    pool = await create_pool(settings.database_url, max_size=1)
    try:
        async with pool.acquire() as conn:
            await apply(conn, WEBHOOKS, webhooks_migrations())
    finally:
        await pool.close()
