"""``ticket-query-api serve``."""

from __future__ import annotations

import argparse
import logging


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ticket-query-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the query API on HOST:PORT")
    parser.parse_args(argv)

    from .access_log import serve
    from .app import create_app
    from .settings import QuerySettings

    settings = QuerySettings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    serve(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)
