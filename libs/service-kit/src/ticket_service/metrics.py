"""Prometheus metrics: one registry per app, the HTTP metrics the shell's middleware records, ``GET /metrics``.

Each app built by :func:`ticket_service.shell.create_shell` has its own :class:`CollectorRegistry` (never the
global default), so two apps in one process never clash; a service registers its own metrics on
:func:`registry_of` ``(app)``. The embedded app is one shell, so one registry for the one process.

- ``http_requests_total{method,route,status}``: answered requests, refusals by the middleware included;
- ``http_request_duration_seconds{method,route}``: from the request to the end of its answer (for a live stream,
  the stream's whole life);
- ``process_*``: CPU, memory, open files of the process (read at scrape time).

``route`` is the template the router matched (``/api/support-ticket/{ticket_id}``), never the raw path: a path no
route matched (a 404, or a request refused before routing) is ``other``; a method outside the standard ones is
``other`` too, so that no client can grow the number of series.

``/metrics`` needs no token and is not in the OpenAPI document: serve it to the scraper only (the gateway routes
nothing but ``/api``, ``/``, ``/health`` and ``/ready`` to the public).

A service adds gauges read at scrape time with :class:`ScrapeCollector` (no cost between scrapes; never I/O
there), the connection pools with :func:`watch_pools`, and values that need I/O with :func:`refreshing` (a task
that reads them every few seconds while the app runs).

With several worker processes (``WEB_CONCURRENCY``), ``/metrics`` answers for all of them: see
:mod:`ticket_service.metrics_workers`. A gauge then needs a ``multiprocess_mode``, and a :class:`ScrapeCollector`
its ``modes``.

The hot path is one dict lookup per request (the label children are cached per method, route and status) plus the
counter increment and the histogram observation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import Scope

from . import metrics_workers
from .metrics_workers import Mode

log = logging.getLogger(__name__)

OTHER = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds; the default buckets reach 10 s, more than a command or a read should ever take.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """The HTTP metrics of one app, on its registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by method, route template and status",
            ("method", "route", "status"),
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from an HTTP request to the end of its answer, by method and route template",
            ("method", "route"),
            buckets=BUCKETS,
            registry=registry,
        )
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        method: str = scope["method"]
        route = scope.get("route")
        template = getattr(route, "path_format", None) if route is not None else None
        key = (method if method in METHODS else OTHER, template or OTHER, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = self._resolve(*key)
        children[0].inc()
        children[1].observe(seconds)

    def _resolve(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        return self.requests.labels(method, route, str(status)), self.duration.labels(method, route)


def install(app: FastAPI) -> HttpMetrics:
    """The app's registry (with the process collector), its HTTP metrics, and ``GET /metrics``: of this process,
    or merged over the workers in a worker of several."""
    if metrics_workers.enabled():
        return _install_worker(app)
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    metrics = HttpMetrics(registry)
    app.state.metrics = metrics
    app.get("/metrics", include_in_schema=False)(_scrape)
    return metrics


def _install_worker(app: FastAPI) -> HttpMetrics:
    registry = metrics_workers.WorkerRegistry()
    ProcessCollector(registry=registry)
    metrics = HttpMetrics(registry)
    app.state.metrics = metrics

    async def scrape() -> Response:
        registry.mirror.update()  # this worker's scrape-time values as of now; the others' as of their last copy
        return Response(generate_latest(metrics_workers.merged()), media_type=CONTENT_TYPE_LATEST)

    app.get("/metrics", include_in_schema=False)(scrape)
    app.state.lifespans.append(metrics_workers.mirroring(registry))  # add_lifespan: the shell imports this module
    return metrics


def registry_of(app: FastAPI) -> CollectorRegistry:
    """Where a service registers its own metrics: the app's registry, scraped at ``/metrics``."""
    metrics: HttpMetrics | None = getattr(app.state, "metrics", None)
    if metrics is None:
        raise RuntimeError("not a shell: build the app with ticket_service.shell.create_shell")
    return metrics.registry


async def _scrape(request: Request) -> Response:
    return Response(generate_latest(registry_of(request.app)), media_type=CONTENT_TYPE_LATEST)


class ScrapeCollector(Collector):
    """Metric families made by ``collect`` at each scrape: from values in memory only, never I/O. ``modes`` names,
    by family, how a gauge's values of several workers merge (:mod:`ticket_service.metrics_workers`)."""

    def __init__(self, collect: Callable[[], Iterable[Metric]], modes: Mapping[str, Mode] | None = None) -> None:
        self._collect = collect
        self.modes: Mapping[str, Mode] = modes or {}

    def collect(self) -> Iterator[Metric]:
        yield from self._collect()


class PoolState(Protocol):
    """One connection pool as :func:`watch_pools` reports it."""

    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def max_size(self) -> int: ...
    @property
    def in_use(self) -> int: ...
    @property
    def waiting(self) -> int: ...


def watch_pools(app: FastAPI, pools: Callable[[], Iterable[PoolState]]) -> None:
    """The process's database pools by ``pool`` name: ``ticket_db_pool_connections`` (open),
    ``ticket_db_pool_connections_max``, ``ticket_db_pool_connections_in_use`` and ``ticket_db_pool_acquires_waiting``.
    Once per app: the embedded app's three installs share it."""
    if getattr(app.state, "pools_watched", False):
        return
    app.state.pools_watched = True

    def collect() -> Iterator[Metric]:
        families = {
            "size": GaugeMetricFamily("ticket_db_pool_connections", "Connections open in the pool", labels=["pool"]),
            "max_size": GaugeMetricFamily(
                "ticket_db_pool_connections_max", "Most connections the pool may open", labels=["pool"]
            ),
            "in_use": GaugeMetricFamily(
                "ticket_db_pool_connections_in_use", "Connections of the pool lent out", labels=["pool"]
            ),
            "waiting": GaugeMetricFamily(
                "ticket_db_pool_acquires_waiting",
                "Acquires of a pool connection not yet served (waiting for a free one or for one being opened)",
                labels=["pool"],
            ),
        }
        for pool in pools():
            for field, family in families.items():
                family.add_metric([pool.name], float(getattr(pool, field)))
        yield from families.values()

    registry_of(app).register(ScrapeCollector(collect, modes=POOL_MODES))


# Each worker has its own pools: the service's connections, limits and waits are the sums over its live workers.
POOL_MODES: Mapping[str, Mode] = {
    "ticket_db_pool_connections": "livesum",
    "ticket_db_pool_connections_max": "livesum",
    "ticket_db_pool_connections_in_use": "livesum",
    "ticket_db_pool_acquires_waiting": "livesum",
}


def refreshing(
    refresh: Callable[[], Awaitable[None]], seconds: float
) -> Callable[[], contextlib.AbstractAsyncContextManager[None]]:
    """A lifespan running ``refresh()`` at once and then every ``seconds`` while the app runs (metrics that need
    I/O); a failed refresh is logged at debug level and tried again on the next turn."""

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        task = asyncio.create_task(_every(refresh, seconds), name="metrics-refresh")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return running


async def _every(refresh: Callable[[], Awaitable[None]], seconds: float) -> None:
    while True:
        try:
            async with asyncio.timeout(max(seconds, 1.0) * 5):
                await refresh()
        except Exception as exc:  # a metric read failing (a database down) is no reason to stop reading
            log.debug("metrics refresh failed: %r", exc)
        await asyncio.sleep(seconds)
