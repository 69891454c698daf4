"""Builders of recorded events for store, relay and projection tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ticket_workflow import Event, EventMetadata

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
LIFECYCLE = ["Created", "Assigned", "StartWorked", "Resolveed", "Closeed"]
# Every end-to-end scenario's ticket: opened, info requested and given, escalated, resolved, closed, reopened.
ROUND_TRIP = [
    "Created",
    "Assigned",
    "StartWorked",
    "RequestInfoed",
    "CustomerReplyed",
    "Escalateed",
    "ResolveEscalated",
    "Closeed",
    "Reopened",
]


def event(stream_id: str, version: int, type_: str | None = None, **data: object) -> Event:
    type_ = type_ or LIFECYCLE[(version - 1) % len(LIFECYCLE)]
    at = T0 + timedelta(minutes=version)
    return Event(
        id=str(uuid.uuid4()),
        stream_id=stream_id,
        type=type_,
        version=version,
        timestamp=at,
        data={"aggregate_id": stream_id, "timestamp": at.isoformat(), **data},
        metadata=EventMetadata(actor="bob", roles=("agent",), correlation_id=str(uuid.uuid4())),
    )


def events(stream_id: str, first: int, count: int) -> list[Event]:
    return [event(stream_id, v) for v in range(first, first + count)]
