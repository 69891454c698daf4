"""A content hash of a read model that is equal for equal content on any storage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from ticket_workflow import TicketState

from .listing import HISTORY_COLUMNS, TICKET_COLUMNS
from .projection import HistoryEntry, canonical

Rows = Callable[[str], AsyncIterator[Any]]  # a SELECT -> its rows (positional), all inside one snapshot


class ContentDigest:
    def __init__(self) -> None:
        self._sha = hashlib.sha256()

    def add(self, kind: str, item: Any) -> None:
        line = json.dumps([kind, item], sort_keys=True, separators=(",", ":"), default=str)
        self._sha.update(line.encode() + b"\n")

    def ticket(self, state: TicketState) -> None:
        self.add("ticket", canonical(state))

    def history(self, entry: HistoryEntry) -> None:
        data = entry.model_dump(mode="json")
        data["occurred_at"] = entry.occurred_at.astimezone(UTC).isoformat()
        self.add("history", data)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


async def content_hash(
    rows: Rows,
    table: Callable[[str], str],
    ticket_of: Callable[[Any], TicketState],
    history_of: Callable[[Any], HistoryEntry],
) -> str:
    """The digest of every table of a read model; ``table`` names a table as the adapter stores it."""
    digest = ContentDigest()
    async for row in rows(f"SELECT {TICKET_COLUMNS} FROM {table('tickets')} ORDER BY id"):
        digest.ticket(ticket_of(row))
    async for row in rows(f"SELECT {HISTORY_COLUMNS} FROM {table('history')} ORDER BY position"):
        digest.history(history_of(row))
    async for row in rows(f"SELECT bucket, created, resolved FROM {table('stats_buckets')} ORDER BY bucket"):
        digest.add("bucket", [_utc(row[0]), row[1], row[2]])
    people = [row async for row in rows(f"SELECT id, roles, first_seen, last_seen, actions FROM {table('people')}")]
    for row in sorted(people, key=lambda r: str(r[0])):  # in code point order, whatever the database's collation
        roles = json.loads(row[1]) if isinstance(row[1], str) else row[1]
        digest.add("person", [row[0], list(roles), _utc(row[2]), _utc(row[3]), row[4]])
    async for row in rows(f"SELECT place, tickets FROM {table('place_counts')} WHERE tickets <> 0 ORDER BY place"):
        digest.add("place", [row[0], row[1]])
    checkpoint = [row[0] async for row in rows(f"SELECT position FROM {table('checkpoint')}")]
    digest.add("checkpoint", checkpoint[0] if checkpoint else 0)
    return digest.hexdigest()


def _utc(value: datetime | str) -> str:
    """A stored time (a datetime, or its ISO text) as one string whatever the storage."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).isoformat()
