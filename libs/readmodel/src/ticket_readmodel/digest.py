"""A content hash of a read model that is equal for equal content on any storage."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from ticket_workflow import TicketState

from .mapping import HISTORY_COLUMNS, PEOPLE_COLUMNS, STATE_COLUMNS, Codec, canonical, history_of, person_of, ticket_of
from .projection import HistoryEntry

Rows = Callable[[str], AsyncIterator[Any]]  # a SELECT -> its rows (by name and position), all inside one snapshot


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


async def content_hash(rows: Rows, table: Callable[[str], str], codec: Codec) -> str:
    """The digest of every table of a read model; ``table`` names a table as the adapter stores it."""
    digest = ContentDigest()
    state = ", ".join(c.name for c in STATE_COLUMNS)  # a file before the service levels has no clocks yet
    async for row in rows(f"SELECT {state} FROM {table('tickets')} ORDER BY id"):
        digest.ticket(ticket_of(row, codec))
    async for row in rows(f"SELECT {HISTORY_COLUMNS} FROM {table('history')} ORDER BY position"):
        digest.history(history_of(row, codec))
    async for row in rows(f"SELECT bucket, created, resolved FROM {table('stats_buckets')} ORDER BY bucket"):
        digest.add("bucket", [_utc(codec.time_in(row[0])), row[1], row[2]])
    people = [person_of(row, codec) async for row in rows(f"SELECT {PEOPLE_COLUMNS} FROM {table('people')}")]
    for p in sorted(people, key=lambda p: p.id):  # in code point order, whatever the database's collation
        digest.add("person", [p.id, p.roles, _utc(p.first_seen), _utc(p.last_seen), p.actions])
    async for row in rows(f"SELECT place, tickets FROM {table('place_counts')} WHERE tickets <> 0 ORDER BY place"):
        digest.add("place", [row[0], row[1]])
    checkpoint = [row[0] async for row in rows(f"SELECT position FROM {table('checkpoint')}")]
    digest.add("checkpoint", checkpoint[0] if checkpoint else 0)
    return digest.hexdigest()


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None
