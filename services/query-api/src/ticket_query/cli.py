"""``ticket-query-api serve``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ticket-query-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the query API on HOST:PORT")
    parser.parse_args(argv)

    from ticket_service.auth import MissingKey
    from ticket_service.logs import configure_logging

    from .app import create_app
    from .serving import serve
    from .settings import QuerySettings

    settings = QuerySettings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        app = create_app(settings)
    except MissingKey as exc:  # no usable key: the same refusal, and exit status, as the command API
        print(f"ticket-query-api: {exc}", file=sys.stderr)
        return 2
    serve(app, host=settings.host, port=settings.port, log_level=settings.log_level)
    return 0
