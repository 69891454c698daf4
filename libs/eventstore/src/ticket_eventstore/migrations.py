"""The event store's schema: its versioned SQL files (``sql/postgres``, ``sql/sqlite``), applied by
:mod:`ticket_migrations` under the component name :data:`EVENT_STORE`.

``apply``, ``pending`` and ``Migration`` are the runner's, named here too for the callers that migrate the store.
"""

from __future__ import annotations

from ticket_migrations import Migration, load
from ticket_migrations.postgres import apply, pending

__all__ = ["EVENT_STORE", "Migration", "apply", "event_store_migrations", "pending", "sqlite_event_store_migrations"]

EVENT_STORE = "event_store"


def event_store_migrations() -> list[Migration]:
    """The PostgreSQL event store's migrations."""
    return load("ticket_eventstore", "sql/postgres")


def sqlite_event_store_migrations() -> list[Migration]:
    """The SQLite event store's migrations (001 creates only what is missing: files of earlier releases, which
    recorded no version, are taken over as they are)."""
    return load("ticket_eventstore", "sql/sqlite")
