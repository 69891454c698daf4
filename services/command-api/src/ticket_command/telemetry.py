"""The relay's log lines and trace spans, from the :class:`~ticket_eventstore.relay.publisher.PublishObserver` hook.

One line per published page (logger ``ticket_command.relay``): first and last position, how many events, the
seconds it took, and the correlation ids (request ids) of its events, at most ``MAX_CORRELATION_IDS`` distinct
ones with their total count. When tracing is on, one span per published event (``publish <type>``), child of the
event's ``traceparent``, recorded after the page with its start and duration.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ticket_eventstore.relay.publisher import PublishObserver
from ticket_service import tracing
from ticket_workflow import Event

log = logging.getLogger("ticket_command.relay")
MAX_CORRELATION_IDS = 20


class RelayTelemetry(PublishObserver):
    """Logs each published page; records a span per published event when tracing is on."""

    def __init__(self, stream: str) -> None:
        self.stream = stream

    def published(self, events: Sequence[Event], started_at: float, seconds: float) -> None:
        if not events:
            return
        seen = dict.fromkeys(e.metadata.correlation_id for e in events if e.metadata.correlation_id is not None)
        first, last = events[0].position, events[-1].position
        log.info(
            "published %d event(s) at positions %s..%s in %.1f ms",
            len(events),
            first,
            last,
            seconds * 1000,
            extra={
                "stream": self.stream,
                "first_position": first,
                "last_position": last,
                "count": len(events),
                "seconds": round(seconds, 6),
                "correlation_ids": list(seen)[:MAX_CORRELATION_IDS],
                "correlation_count": len(seen),
            },
        )
        if tracing.TRACER is not None:
            for event in events:
                tracing.record_span(
                    f"publish {event.type}",
                    event.metadata.traceparent,
                    started_at,
                    seconds,
                    {
                        "messaging.destination.name": self.stream,
                        "event.id": event.id,
                        "event.type": event.type,
                        "event.position": event.position or 0,
                        "correlation_id": event.metadata.correlation_id or "",
                    },
                    "producer",
                )
