"""The query API's metrics, on the app's registry (:func:`ticket_service.metrics.registry_of`).

- ``ticket_live_clients``: live-update streams (``GET /api/stream``, Server-Sent Events) connected now, read at
  scrape time;
- ``ticket_tickets{place}``: tickets in each place of the net, from the read model's stored counters (its stats),
  read every :data:`REFRESH_SECONDS` by a task while the app runs; every place of the net is a series, 0 when
  empty, so the label set is the net's places and nothing else;
- ``ticket_tickets_refreshed_timestamp_seconds``: when those counts were last read;
- the database pools (:func:`ticket_service.metrics.watch_pools`): the read model's connections (``read_model``)
  and the event store's pool (``event_store``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from fastapi import FastAPI
from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily, Metric

from ticket_eventstore.pools import pool_stats
from ticket_service.metrics import ScrapeCollector, refreshing, registry_of, watch_pools
from ticket_service.shell import add_lifespan
from ticket_workflow import SUPPORT_TICKET

from .parts import Parts

# Seconds between two reads of the tickets per place (``METRICS_REFRESH_SECONDS``).
REFRESH_SECONDS = float(os.environ.get("METRICS_REFRESH_SECONDS", "5"))
PLACES = tuple(place.name for place in SUPPORT_TICKET.places)


class QueryMetrics:
    def __init__(self, app: FastAPI, parts: Parts) -> None:
        registry = registry_of(app)
        self.parts = parts
        # Several workers (PROMETHEUS_MULTIPROC_DIR) read the same counters: the latest read wins.
        tickets = Gauge(
            "ticket_tickets",
            "Tickets in each place of the workflow net",
            ("place",),
            registry=registry,
            multiprocess_mode="mostrecent",
        )
        self.tickets = {place: tickets.labels(place) for place in PLACES}
        self.refreshed = Gauge(
            "ticket_tickets_refreshed_timestamp_seconds",
            "When the tickets per place were last read",
            registry=registry,
            multiprocess_mode="max",  # the latest read of any worker
        )
        # Each worker has its own streams: the service's are the sum over the live ones.
        registry.register(ScrapeCollector(self._live, modes={"ticket_live_clients": "livesum"}))

    def _live(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "ticket_live_clients", "Live-update streams (Server-Sent Events) connected", value=self.parts.feed.clients
        )

    async def refresh(self) -> None:
        if self.parts.read_model is None:
            return
        counts = (await self.parts.read_model.stats(days=1)).by_place
        for place, child in self.tickets.items():
            child.set(counts.get(place, 0))
        self.refreshed.set(time.time())


def install(app: FastAPI, parts: Parts) -> QueryMetrics:
    """The query metrics; call it after the read model's lifespan is added (the counts are read from it)."""
    metrics = QueryMetrics(app, parts)
    watch_pools(app, pool_stats)
    add_lifespan(app, refreshing(metrics.refresh, REFRESH_SECONDS))
    return metrics
