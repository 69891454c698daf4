"""The dispatcher's metrics, on the app's registry (:func:`ticket_service.metrics.registry_of`):

- ``ticket_webhook_deliveries_total{outcome}``: attempts by outcome (``delivered``, ``retrying``: failed and to be
  tried again, ``failed``: failed for good);
- ``ticket_webhook_delivery_duration_seconds``: from the request to the answer, per attempt that got one or timed out;
- ``ticket_webhook_pending_deliveries``: deliveries waiting for an attempt (pending or retrying), read every
  ``METRICS_REFRESH_SECONDS``;
- ``ticket_webhook_endpoints_disabled``: endpoints disabled (by failures or an admin), read likewise.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

from fastapi import FastAPI
from prometheus_client import Counter, Gauge, Histogram

from ticket_eventstore.pools import pool_stats
from ticket_service.metrics import refreshing, registry_of, watch_pools
from ticket_service.shell import add_lifespan

from .ports import DeliveryQueue, EndpointStore
from .queue import Claimed, Outcome


class _Dispatch(Protocol):
    observers: list[Any]

    @property
    def dispatcher(self) -> _Queued: ...

    @property
    def endpoints(self) -> EndpointStore: ...


class _Queued(Protocol):
    @property
    def queue(self) -> DeliveryQueue: ...


REFRESH_SECONDS = float(os.environ.get("METRICS_REFRESH_SECONDS", "5"))
SECONDS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class WebhookMetrics:
    def __init__(self, app: FastAPI) -> None:
        registry = registry_of(app)
        self.deliveries = Counter(
            "ticket_webhook_deliveries_total", "Delivery attempts by outcome", ("outcome",), registry=registry
        )
        for outcome in ("delivered", "retrying", "failed"):
            self.deliveries.labels(outcome)
        self.latency = Histogram(
            "ticket_webhook_delivery_duration_seconds",
            "Time from a delivery's request to the endpoint's answer",
            buckets=SECONDS,
            registry=registry,
        )
        self.pending = Gauge(
            "ticket_webhook_pending_deliveries", "Deliveries waiting for an attempt", registry=registry
        )
        self.disabled = Gauge("ticket_webhook_endpoints_disabled", "Endpoints disabled", registry=registry)

    def attempted(self, claimed: Claimed, outcome: Outcome, status: str) -> None:
        self.deliveries.labels(status).inc()
        if outcome.latency_ms is not None:
            self.latency.observe(outcome.latency_ms / 1000)


def install(app: FastAPI, runtime: _Dispatch, *, pools: bool = True) -> None:
    metrics = WebhookMetrics(app)
    runtime.observers.append(metrics)

    async def refresh() -> None:
        metrics.pending.set(await runtime.dispatcher.queue.open_count())
        metrics.disabled.set(await runtime.endpoints.disabled_count())

    add_lifespan(app, refreshing(refresh, REFRESH_SECONDS))
    if pools:  # PostgreSQL pools (the embedded mode has its one SQLite connection)
        watch_pools(app, pool_stats)
