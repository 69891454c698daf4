"""``ticket-projector run | migrate | status | retry | skip | rebuild``: the projector, and the operator's commands
on its projection (the same operations as the admin API, on the database and Redis of the settings)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from typing import Any

import asyncpg
from redis.exceptions import RedisError

from ticket_eventstore.postgres import create_pool
from ticket_readmodel.postgres import PostgresReadModel
from ticket_service.logs import configure_logging
from ticket_workflow.ports import StoreUnavailable

from .console import ProgressBar, render_status
from .operations import Refused, connected, default_actor
from .rebuild import RebuildReport
from .settings import ProjectorSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ticket-projector", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="consume the event stream into the read models; health port on PORT")
    rebuilding = commands.add_parser("rebuild", help="rebuild the read models from the event store and switch over")
    rebuilding.add_argument(
        "--content-hash",
        action="store_true",
        help="also print a hash of the rebuilt read model (compare it with another replica's or an earlier run's)",
    )
    rebuilding.add_argument("--json", action="store_true", help="print the report as JSON (always when piped)")
    commands.add_parser("migrate", help="create or upgrade the read-model tables")
    status = commands.add_parser("status", help="the relay, the consumer group and the projection: lag, halt, skips")
    status.add_argument("--json", action="store_true", help="print the admin API's JSON instead of a table")
    commands.add_parser("retry", help="try the event the projection halted on again (after fixing its cause)")
    skipping = commands.add_parser("skip", help="skip the event the projection halted on, recorded with who and why")
    skipping.add_argument("--position", type=int, required=True, help="the halt's position (see status)")
    skipping.add_argument("--reason", required=True, help="why the event is skipped (3 to 500 characters)")
    skipping.add_argument("--actor", default=None, help="who skips it (default: the operating system's user)")
    args = parser.parse_args(argv)
    settings = ProjectorSettings()
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "run":
        return _run(settings)
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        return 0
    if args.command == "skip" and not 3 <= len(args.reason.strip()) <= 500:
        parser.error("--reason: give 3 to 500 characters")
    try:
        return asyncio.run(_operate(settings, args))
    except Refused as refused:
        print(f"ticket-projector {args.command}: {refused.message} ({refused.code})", file=sys.stderr)
        return 1
    except (StoreUnavailable, OSError, asyncpg.PostgresError, RedisError) as exc:
        print(f"ticket-projector {args.command}: cannot reach the database or Redis: {exc}", file=sys.stderr)
        return 3


def _run(settings: ProjectorSettings) -> int:
    import uvicorn

    from ticket_privacy import MissingDataKey
    from ticket_service.auth import MissingKey

    from .app import create_app

    try:
        app = create_app(settings)
    except (MissingKey, MissingDataKey) as exc:  # a weak or missing key: the same refusal and exit status as the APIs
        print(f"ticket-projector: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level.lower())
    return 0


async def _operate(settings: ProjectorSettings, args: argparse.Namespace) -> int:
    async with connected(settings, content_hash=getattr(args, "content_hash", False)) as operations:
        if args.command == "status":
            _show(await operations.status(), args.json)
        elif args.command == "retry":
            _show_projection("retry asked", await operations.retry(default_actor()))
        elif args.command == "skip":
            actor = args.actor or default_actor()
            _show_projection("skipped", await operations.skip(args.position, args.reason.strip(), actor))
        else:
            machine = args.json or not sys.stdout.isatty()
            bar = ProgressBar(sys.stderr, "rebuild") if sys.stderr.isatty() and not machine else None
            task = await operations.rebuilder.start(default_actor(), bar.update if bar is not None else None)
            report: RebuildReport = await task
            if bar is not None:
                bar.close()
            if machine:
                print(json.dumps(asdict(report)))
            else:
                digest = f", content hash {report.content_hash}" if report.content_hash else ""
                print(f"rebuilt {report.schema} up to position {report.checkpoint}{digest}")
    return 0


def _show(status: dict[str, Any], as_json: bool) -> None:
    print(json.dumps(status, indent=2) if as_json else render_status(status))


def _show_projection(what: str, answer: dict[str, Any]) -> None:
    projection = answer
    print(f"{what}: projection {projection['name']} is {projection['status']} at position {projection['checkpoint']}")


async def _migrate(settings: ProjectorSettings) -> None:
    pool = await create_pool(settings.database_url, max_size=1)
    try:
        await PostgresReadModel(pool, settings.read_model_schema).migrate()
    finally:
        await pool.close()
