"""The projector's log lines and trace spans, from the :class:`~ticket_projector.projector.ProjectionObserver` hook.

- One line per applied batch (logger ``ticket_projector.batches``): first and last position, how many events,
  the seconds the transaction took, and the correlation ids (request ids) of its events, at most
  :data:`MAX_CORRELATION_IDS` distinct ones with their total count: one request id finds its command's write.
- One line per gap caught up, retry and halt, with their positions.
- When tracing is on, one span per applied event (``project <type>``), child of the event's ``traceparent``: the
  projector's work joins the trace of the request that caused it. The spans are recorded after the commit, with
  the batch's start and duration.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from ticket_readmodel.read_model import Halt
from ticket_service import tracing
from ticket_workflow import Event

from .projector import ProjectionObserver

log = logging.getLogger("ticket_projector.batches")
MAX_CORRELATION_IDS = 20


def correlation_ids(events: Iterable[Event], limit: int = MAX_CORRELATION_IDS) -> tuple[list[str], int]:
    """The first ``limit`` distinct correlation ids of ``events`` in order, and how many distinct ones there are."""
    seen: dict[str, None] = {}
    for event in events:
        if event.metadata.correlation_id is not None:
            seen[event.metadata.correlation_id] = None
    return list(seen)[:limit], len(seen)


class ProjectionTelemetry(ProjectionObserver):
    """Logs each applied batch, gap, retry and halt; records a span per applied event when tracing is on."""

    def __init__(self, projection: str = "tickets") -> None:
        self.projection = projection

    def applied(self, events: Sequence[Event], started_at: float, seconds: float) -> None:
        if not events:
            return
        first, last = events[0].position, events[-1].position
        ids, distinct = correlation_ids(events)
        log.info(
            "applied %d event(s) at positions %s..%s in %.1f ms",
            len(events),
            first,
            last,
            seconds * 1000,
            extra={
                "projection": self.projection,
                "first_position": first,
                "last_position": last,
                "count": len(events),
                "seconds": round(seconds, 6),
                "correlation_ids": ids,
                "correlation_count": distinct,
            },
        )
        if tracing.TRACER is not None:
            for event in events:
                tracing.record_span(
                    f"project {event.type}",
                    event.metadata.traceparent,
                    started_at,
                    seconds,
                    {
                        "projection": self.projection,
                        "event.id": event.id,
                        "event.type": event.type,
                        "event.position": event.position or 0,
                        "ticket.id": event.stream_id,
                        "correlation_id": event.metadata.correlation_id or "",
                    },
                    "consumer",
                )

    def catching_up(self, after: int, until: int) -> None:
        log.info(
            "gap: reading positions %d..%d from the event store",
            after + 1,
            until,
            extra={"projection": self.projection, "after_position": after, "until_position": until},
        )

    def retried(self, position: int, attempt: int) -> None:
        log.warning(
            "retrying the event at position %d (attempt %d)",
            position,
            attempt,
            extra={"projection": self.projection, "position": position, "attempt": attempt},
        )

    def halted(self, halt: Halt) -> None:
        log.error(
            "halted at position %d (%s of ticket %s): %s",
            halt.position,
            halt.event_type,
            halt.ticket_id,
            halt.reason,
            extra={
                "projection": self.projection,
                "position": halt.position,
                "event_type": halt.event_type,
                "ticket_id": halt.ticket_id,
                "reason": halt.reason,
            },
        )
