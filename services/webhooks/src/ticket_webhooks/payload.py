"""What a delivery's body says: ``{"type", "timestamp", "data"}``, for a stored event or a service-level alert.

:func:`event_data` is the one place a stored (or streamed) event becomes what a partner receives."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ticket_workflow import Event

ALERT_TYPES = ("ServiceLevelWarning", "ServiceLevelBreached")
ALERT_FIELDS = ("id", "type", "ticket_id", "clock", "due_at", "warning_at", "raised_at", "priority")


def event_data(event: Event) -> dict[str, Any]:
    """The event envelope a partner receives: id, ticket, type, version, time, data, the actor, the position."""
    return {
        "id": event.id,
        "ticket_id": event.stream_id,
        "type": event.type,
        "version": event.version,
        "timestamp": event.timestamp.isoformat(),
        "data": event.data,
        "metadata": {"actor": event.metadata.actor},
        "position": event.position,
    }


def alert_data(fields: Mapping[str, str]) -> dict[str, Any]:
    """A service-level alert as the timer published it (its fields as they are, the known ones only)."""
    return {name: fields.get(name) for name in ALERT_FIELDS}


def body(event_type: str, timestamp: datetime | str, data: Mapping[str, Any]) -> bytes:
    when = timestamp.isoformat() if isinstance(timestamp, datetime) else timestamp
    return json.dumps({"type": event_type, "timestamp": when, "data": data}, separators=(",", ":")).encode()
