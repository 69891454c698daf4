"""``ticket-embedded`` (what ``make run`` starts): the whole system on one port, one SQLite file."""

from __future__ import annotations

import sys

from ticket_service.auth import MissingKey
from ticket_service.logs import configure_logging

from .settings import EmbeddedSettings

ROLES = ("customer", "agent", "supervisor", "admin")


def banner(settings: EmbeddedSettings) -> str:
    url = f"http://{'localhost' if settings.host in ('127.0.0.1', '0.0.0.0') else settings.host}:{settings.port}"
    lines = [
        "",
        f"  Support Ticket is running on {url}",
        f"  Web UI:   {url}/        API docs: {url}/docs",
        f"  Data:     {settings.db_path} (events and read models; kept across restarts)",
    ]
    if settings.debug and not settings.auth.configured:  # debug tokens only with the development secret
        lines += ["", "  Get a token for any role (DEBUG=true), e.g.:"]
        for role, user in zip(ROLES, ("alice", "bob", "carol", "dave"), strict=True):
            lines.append(
                f"    curl -s -X POST {url}/api/debug/token -H 'Content-Type: application/json' "
                f"""-d '{{"sub": "{user}", "roles": ["{role}"]}}'"""
            )
        lines += [
            "",
            f"  Then: curl -s -X POST {url}/api/support-ticket -H 'Authorization: Bearer <token>' "
            """-H 'Content-Type: application/json' -d '{"subject": "VPN down"}'""",
        ]
    else:
        lines += ["", "  Bring tokens signed with JWT_SECRET (or your identity provider's key); debug tokens are off."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    from ticket_privacy import MissingDataKey
    from ticket_query import serve
    from ticket_webhooks import MissingSecretKey

    from .app import create_app

    settings = EmbeddedSettings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        app = create_app(settings)
    except (MissingKey, MissingDataKey, MissingSecretKey) as exc:
        print(f"ticket-embedded: {exc}", file=sys.stderr)
        return 2
    print(banner(settings), flush=True)
    serve(app, host=settings.host, port=settings.port, log_level=settings.log_level)
    return 0
