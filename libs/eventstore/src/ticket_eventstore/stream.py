"""The Redis stream entry format: a public contract for downstream services in any language.

Each committed event is one entry whose ID is ``<position>-0`` (so a republish is refused by Redis as a
duplicate) and whose fields are plain strings:

=============  =================================================================
``type``       event type, e.g. ``Created``, ``Assigned``, ``Escalateed``
``event_id``   unique event id (UUID)
``stream_id``  the ticket id (also called ``aggregate_id``)
``version``    the event's version within its ticket, from 1
``position``   the global position in commit order, from 1
``timestamp``  when it happened, ISO 8601 with offset
``data``       JSON object: the event's data
``metadata``   JSON object: actor, roles, correlation_id, causation_id, idempotency_key, traceparent
=============  =================================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from ticket_workflow import Event, EventMetadata

DEFAULT_STREAM = "support-ticket.events"
FIELDS = ("type", "event_id", "stream_id", "version", "position", "timestamp", "data", "metadata")


def entry_id(position: int) -> str:
    if position < 1:
        raise ValueError(f"positions start at 1, got {position}")
    return f"{position}-0"


def position_of(entry: str | bytes) -> int:
    text = entry.decode() if isinstance(entry, bytes) else entry
    return int(text.split("-", 1)[0])


def encode(event: Event) -> dict[str, str]:
    if event.position is None:
        raise ValueError(f"event {event.id} has no position: only stored events are published")
    return {
        "type": event.type,
        "event_id": event.id,
        "stream_id": event.stream_id,
        "version": str(event.version),
        "position": str(event.position),
        "timestamp": event.timestamp.isoformat(),
        "data": json.dumps(event.data, separators=(",", ":")),
        "metadata": event.metadata.model_dump_json(),
    }


def decode(fields: Mapping[str | bytes, str | bytes]) -> Event:
    text = {_str(k): _str(v) for k, v in fields.items()}
    missing = [f for f in FIELDS if f not in text]
    if missing:
        raise ValueError(f"stream entry lacks field(s) {', '.join(missing)}")
    return Event(
        id=text["event_id"],
        stream_id=text["stream_id"],
        type=text["type"],
        version=int(text["version"]),
        timestamp=datetime.fromisoformat(text["timestamp"]),
        data=json.loads(text["data"]),
        metadata=EventMetadata.model_validate_json(text["metadata"]),
        position=int(text["position"]),
    )


def _str(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
