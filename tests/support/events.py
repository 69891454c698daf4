"""Recorded events for store, relay and stream tests, which care about envelopes, versions and order.

``events`` are a ticket's life decided by the net (:mod:`tests.support.tickets`). ``event`` with an explicit type and
data is what the store must keep byte for byte whatever it holds (nested JSON, text ``decide`` would refuse): the
stores do not judge content, so their contract is tested with content no command could produce.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from itertools import cycle, islice

from ticket_workflow import Event, EventMetadata

from .tickets import AGENT, CUSTOMER, Ticket

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
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
# A life as long as a test wants: round after round of work, closing and reopening.
_ROUNDS = [("assign", AGENT), ("start_work", AGENT), ("resolve", AGENT), ("close", AGENT), ("reopen", CUSTOMER)]


def events(stream_id: str, first: int, count: int) -> list[Event]:
    """Versions ``first`` to ``first + count - 1`` of a ticket's life; version v is timed ``T0 + v`` minutes."""
    life = Ticket(stream_id, at=T0 + timedelta(minutes=1), step=timedelta(minutes=1))
    life.create(CUSTOMER)
    for transition, actor in islice(cycle(_ROUNDS), max(0, first + count - 2)):
        life.fire(transition, actor)
    return life.events[first - 1 : first - 1 + count]


def event(stream_id: str, version: int, type_: str | None = None, **data: object) -> Event:
    """Version ``version`` of a decided life, or, given ``type_``, an envelope holding exactly ``data``."""
    if type_ is None and not data:
        return events(stream_id, version, 1)[0]
    at = T0 + timedelta(minutes=version)
    return Event(
        id=str(uuid.uuid4()),
        stream_id=stream_id,
        type=type_ or "Created",
        version=version,
        timestamp=at,
        data={"aggregate_id": stream_id, "timestamp": at.isoformat(), **data},
        metadata=EventMetadata(actor="bob", roles=("agent",), correlation_id=str(uuid.uuid4())),
    )
