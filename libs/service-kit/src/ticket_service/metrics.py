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

The hot path is one dict lookup per request (the label children are cached per method, route and status) plus the
counter increment and the histogram observation.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.exposition import generate_latest
from starlette.types import Scope

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
    """The app's registry (with the process collector), its HTTP metrics, and ``GET /metrics``."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    metrics = HttpMetrics(registry)
    app.state.metrics = metrics
    app.get("/metrics", include_in_schema=False)(_scrape)
    return metrics


def registry_of(app: FastAPI) -> CollectorRegistry:
    """Where a service registers its own metrics: the app's registry, scraped at ``/metrics``."""
    metrics: HttpMetrics | None = getattr(app.state, "metrics", None)
    if metrics is None:
        raise RuntimeError("not a shell: build the app with ticket_service.shell.create_shell")
    return metrics.registry


async def _scrape(request: Request) -> Response:
    return Response(generate_latest(registry_of(request.app)), media_type=CONTENT_TYPE_LATEST)
