"""A content hash of a read model that is equal for equal content on any storage."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

from ticket_workflow import TicketState

from .projection import HistoryEntry, canonical


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
