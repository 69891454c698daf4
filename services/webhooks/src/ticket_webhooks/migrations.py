"""The ``webhooks`` schema: its versioned SQL files (``sql/postgres``), applied by :mod:`ticket_migrations` under
the component name :data:`WEBHOOKS`."""

from __future__ import annotations

from ticket_migrations import Migration, load

WEBHOOKS = "webhooks"


def webhooks_migrations() -> list[Migration]:
    return load("ticket_webhooks", "sql/postgres")
