"""The ``webhooks`` schema: its versioned SQL files (``sql/postgres``; ``sql/sqlite`` for the embedded mode),
applied by :mod:`ticket_migrations` under the component name :data:`WEBHOOKS`."""

from __future__ import annotations

from ticket_migrations import Migration, load

WEBHOOKS = "webhooks"


def webhooks_migrations() -> list[Migration]:
    return load("ticket_webhooks", "sql/postgres")


def sqlite_webhooks_migrations() -> list[Migration]:
    """The embedded twin (``sql/sqlite``), applied to the embedded mode's file."""
    return load("ticket_webhooks", "sql/sqlite")
