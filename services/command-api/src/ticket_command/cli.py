"""``ticket-command-api serve | migrate | mint-token``."""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from ticket_eventstore import migrations
from ticket_privacy import MissingDataKey
from ticket_privacy.postgres import COMPONENT as PRIVACY
from ticket_privacy.postgres import privacy_migrations
from ticket_service.auth import MissingKey, issue_token, require_key
from ticket_service.logs import configure_logging
from ticket_service.metrics_workers import serve_workers, shared_directory
from ticket_workflow import UnknownRole

from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    try:
        result: int = args.run(settings, args)
    except (MissingKey, MissingDataKey) as exc:
        print(f"ticket-command-api: {exc}", file=sys.stderr)
        return 2
    return result


def serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    configure_logging(settings.log_level, settings.log_format)
    host, port = args.host or settings.host, args.port or settings.port
    if settings.web_concurrency > 1:  # /metrics answers for every worker: PROMETHEUS_MULTIPROC_DIR set for them
        create_app(settings)  # refuses to start without a key before any worker is spawned
        serve_workers(
            "ticket_command.app:create_app",
            settings.web_concurrency,
            factory=True,  # each worker builds its app from the same environment
            host=host,
            port=port,
            log_level=settings.log_level,
            loop="auto",  # uvloop and httptools when installed (they are dependencies)
            http="auto",
        )
        return 0
    with shared_directory(1):  # a PROMETHEUS_MULTIPROC_DIR the operator set: emptied before any metric is made
        create_app(settings)  # refuses to start without a key
        uvicorn.run(
            "ticket_command.app:create_app",
            factory=True,
            workers=1,
            host=host,
            port=port,
            log_level=settings.log_level,
            loop="auto",
            http="auto",
        )
    return 0


def migrate(settings: Settings, args: argparse.Namespace) -> int:
    async def run() -> list[migrations.Migration]:
        conn = await asyncpg.connect(settings.database_url, timeout=settings.db_connect_timeout)
        try:
            applied = await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
            return applied + await migrations.apply(conn, PRIVACY, privacy_migrations())  # after: it reads events
        finally:
            await conn.close()

    applied = asyncio.run(run())
    names = ", ".join(f"{m.version:03d}_{m.name}" for m in applied) or "nothing (up to date)"
    print(f"event store migrations applied: {names}")
    return 0


def mint(settings: Settings, args: argparse.Namespace) -> int:
    auth = require_key(settings.auth, debug=settings.debug)
    try:
        print(issue_token(auth, args.sub, args.role, ttl_seconds=args.ttl).token)
    except (MissingKey, UnknownRole, ValueError) as exc:
        print(f"ticket-command-api: {exc}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ticket-command-api", description="The support-ticket command API.")
    commands = parser.add_subparsers(required=True, metavar="command")
    run = commands.add_parser("serve", help="serve HTTP (and run the relay)")
    run.add_argument("--host", help="interface to bind (default: HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port (default: PORT or 8081)")
    run.set_defaults(run=serve)
    commands.add_parser("migrate", help="apply event store migrations to DATABASE_URL").set_defaults(run=migrate)
    token = commands.add_parser("mint-token", help="print a development JWT signed with JWT_SECRET")
    token.add_argument("--sub", required=True, help="user id")
    token.add_argument("--role", action="append", required=True, help="role name; repeat for several")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds (default 3600)")
    token.set_defaults(run=mint)
    return parser


if __name__ == "__main__":
    sys.exit(main())
