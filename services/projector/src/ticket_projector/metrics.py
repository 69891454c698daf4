"""The projector's metrics, on the app's registry (:func:`ticket_service.metrics.registry_of`), for the Redis
consumer (:class:`~ticket_projector.runtime.Runtime`) and the embedded in-process projection alike.

Counted as the projector works (a :class:`~ticket_projector.projector.ProjectionObserver`):

- ``ticket_projector_events_applied_total``; ``ticket_projector_batch_events`` (histogram: events per committed
  batch) and ``ticket_projector_batch_duration_seconds`` (histogram: each batch's transaction);
- ``ticket_projector_gap_catchups_total`` (delivered events revealed a gap, read from the store),
  ``ticket_projector_retries_total`` (a failed event tried again), ``ticket_projector_halts_total``.

Read every :data:`REFRESH_SECONDS` by a task while the app runs (a few single-row reads; never at scrape time):

- ``ticket_projector_checkpoint_position``, ``ticket_projector_store_position`` (the event store's last position),
  ``ticket_projector_behind_positions`` and ``ticket_projector_behind_seconds`` (the age of the oldest event not
  yet applied; 0 when caught up); ``ticket_projector_halted`` (1 while halted on a poison event, the halt recorded
  before a restart included, else 0);
- with the Redis consumer only: ``ticket_projector_pending_entries`` (entries delivered to the consumer group and
  not yet acknowledged, every consumer's: the summary of ``XPENDING``).

``ticket_projector_metrics_refreshed_timestamp_seconds`` says when the gauges were last read successfully.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ticket_eventstore.pools import pool_stats
from ticket_readmodel.read_model import Halt
from ticket_service.metrics import refreshing, registry_of, watch_pools
from ticket_service.shell import add_lifespan
from ticket_workflow import Event
from ticket_workflow.ports import StoreUnavailable

from .projector import ProjectionObserver, Projector
from .runtime import Runtime

# Seconds between two reads of the gauges that need I/O (``METRICS_REFRESH_SECONDS``).
REFRESH_SECONDS = float(os.environ.get("METRICS_REFRESH_SECONDS", "5"))
BATCH_EVENTS = (1, 2, 5, 10, 25, 50, 100, 250, 500)
BATCH_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ProjectorMetrics(ProjectionObserver):
    """The counters the projector moves, and the gauges :meth:`refresh` reads."""

    def __init__(self, registry: CollectorRegistry, *, consumer_group: bool = False) -> None:
        def gauge(name: str, text: str, *, registered: bool = True) -> Gauge:
            return Gauge(name, text, registry=registry if registered else None)

        def counter(name: str, text: str) -> Counter:
            return Counter(name, text, registry=registry)

        self.applied_events = counter("ticket_projector_events_applied_total", "Events applied to the read model")
        self.batch_events = Histogram(
            "ticket_projector_batch_events",
            "Events per batch applied in one transaction",
            buckets=BATCH_EVENTS,
            registry=registry,
        )
        self.batch_seconds = Histogram(
            "ticket_projector_batch_duration_seconds",
            "Time of each applied batch's transaction",
            buckets=BATCH_SECONDS,
            registry=registry,
        )
        self.catchups = counter("ticket_projector_gap_catchups_total", "Gaps in the delivery read from the store")
        self.retries = counter("ticket_projector_retries_total", "Failed events tried again")
        self.halts = counter("ticket_projector_halts_total", "Halts on a poison event")
        self.checkpoint = gauge("ticket_projector_checkpoint_position", "Last position applied to the read model")
        self.store_position = gauge("ticket_projector_store_position", "The event store's last position")
        self.behind_positions = gauge(
            "ticket_projector_behind_positions", "Positions stored but not yet applied to the read model"
        )
        self.behind_seconds = gauge(
            "ticket_projector_behind_seconds", "Age of the oldest event not yet applied (0: caught up)"
        )
        self.halted_now = gauge("ticket_projector_halted", "1 while the projection is halted on a poison event")
        self.pending = gauge(
            "ticket_projector_pending_entries",
            "Stream entries delivered to the consumer group, not yet acknowledged",
            registered=consumer_group,
        )
        self.refreshed = gauge(
            "ticket_projector_metrics_refreshed_timestamp_seconds", "When the projector's gauges were last read"
        )

    def applied(self, events: Sequence[Event], started_at: float, seconds: float) -> None:
        self.applied_events.inc(len(events))
        self.batch_events.observe(len(events))
        self.batch_seconds.observe(seconds)

    def catching_up(self, after: int, until: int) -> None:
        self.catchups.inc()

    def retried(self, position: int, attempt: int) -> None:
        self.retries.inc()

    def halted(self, halt: Halt) -> None:
        self.halts.inc()
        self.halted_now.set(1)

    async def refresh(self, projection: Any) -> None:
        """Read the gauges of ``projection`` (nothing before it has started)."""
        projector: Projector | None
        try:
            projector = projection.projector
        except StoreUnavailable:
            projector = None
        if projector is None or projector.store is None:
            return
        read_model, store = projector.read_model, projector.store
        checkpoint = await read_model.checkpoint()
        last = await store.last_position()
        halted = projector.halt is not None or await read_model.recorded_halt() is not None
        behind_seconds = 0.0
        if last > checkpoint:
            oldest = await store.read_all(checkpoint, 1)
            if oldest:
                behind_seconds = max(0.0, (datetime.now(UTC) - oldest[0].timestamp).total_seconds())
        self.checkpoint.set(checkpoint)
        self.store_position.set(last)
        self.behind_positions.set(max(0, last - checkpoint))
        self.behind_seconds.set(behind_seconds)
        self.halted_now.set(1 if halted else 0)
        if isinstance(projection, Runtime):
            consumer = projection.consumer
            summary = await consumer.redis.xpending(consumer.stream, consumer.group)
            self.pending.set(int(summary.get("pending", 0)))
        self.refreshed.set(time.time())


def install(app: FastAPI, projection: Any) -> ProjectorMetrics:
    """The metrics of ``projection`` (a :class:`~ticket_projector.app.Projection`): observing its projector, the
    gauges refreshed while the app runs, the pools. Call it after the projection's lifespan is added."""
    metrics = ProjectorMetrics(registry_of(app), consumer_group=isinstance(projection, Runtime))
    projection.observers.append(metrics)
    watch_pools(app, pool_stats)

    async def refresh() -> None:
        await metrics.refresh(projection)

    add_lifespan(app, refreshing(refresh, REFRESH_SECONDS))
    return metrics
