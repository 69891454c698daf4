"""OpenTelemetry traces, off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is
set: then :func:`install` (called by each service's ``create_app``) sets, once per process, a tracer provider with
``service.name`` (``command-api``, ``projector``, ``query-api``, ``embedded``) exporting OTLP over HTTP/protobuf in
batches, and instruments asyncpg and Redis (a span per database and Redis call).

- The shell's middleware wraps each request in a server span (:func:`traced_request`), named by method and route
  template, child of the caller's ``traceparent`` header when it sends one.
- :func:`traceparent` gives the current span as a W3C ``traceparent``: the command API puts it in each event's
  metadata, and :func:`record_span` lets the relay and the projector record their work on an event, after the
  fact, as a child of it, so that one trace runs from the request to the projector's write.

Off, the cost is one ``TRACER is not None`` test per request and per event: nothing is imported beyond the API.
The standard ``OTEL_*`` variables of the SDK apply (``OTEL_BSP_SCHEDULE_DELAY``, ``OTEL_EXPORTER_OTLP_HEADERS``...).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import Scope

log = logging.getLogger(__name__)

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
TRACER: Tracer | None = None  # set by install when tracing is on; None means off
SERVICE: str | None = None
_CONTEXT = TraceContextTextMapPropagator()
_KINDS = {"internal": SpanKind.INTERNAL, "producer": SpanKind.PRODUCER, "consumer": SpanKind.CONSUMER}


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    return any(environ.get(name, "").strip() for name in ENDPOINT_VARIABLES)


def install(service: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Turn tracing on for this process as ``service`` when an OTLP endpoint is set (the first call wins: the
    embedded app's one process is ``embedded``); returns whether tracing is on."""
    global TRACER, SERVICE
    if TRACER is not None:
        return True
    if not enabled(environ):
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument(tracer_provider=provider)  # type: ignore[no-untyped-call]
    RedisInstrumentor().instrument(tracer_provider=provider)
    TRACER, SERVICE = provider.get_tracer("ticket_service"), service
    log.info("tracing on: spans of %s exported over OTLP", service, extra={"service": service})
    return True


async def traced_request(scope: Scope, serve: Callable[[], Awaitable[int]]) -> None:
    """``serve()`` (which returns the answer's status) inside a server span for this HTTP request."""
    tracer = TRACER
    if tracer is None:
        await serve()
        return
    method: str = scope["method"]
    carrier = {
        key.decode("latin-1"): value.decode("latin-1")
        for key, value in scope["headers"]
        if key in (b"traceparent", b"tracestate")
    }
    parent = propagate.extract(carrier) if carrier else None
    with tracer.start_as_current_span(method, context=parent, kind=SpanKind.SERVER) as span:
        status = await serve()
        route = scope.get("route")
        template = getattr(route, "path_format", None) if route is not None else None
        span.update_name(f"{method} {template or 'other'}")
        span.set_attributes(
            {
                "http.request.method": method,
                "http.route": template or "other",
                "url.path": scope["path"],
                "http.response.status_code": status,
                "request_id": (scope.get("state") or {}).get("request_id", ""),
            }
        )
        if status >= 500:
            span.set_status(Status(StatusCode.ERROR))


def traceparent() -> str | None:
    """The current span as a W3C ``traceparent``; None when tracing is off or no span is current."""
    if TRACER is None:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def record_span(
    name: str,
    parent: str | None,
    started_at: float,
    seconds: float,
    attributes: Mapping[str, Any],
    kind: str = "internal",
) -> None:
    """A finished span from ``started_at`` (time.time()) lasting ``seconds``, child of the ``parent`` traceparent
    (a new trace when None); ``kind``: internal, producer or consumer. Nothing when tracing is off."""
    if TRACER is None:
        return
    context = _CONTEXT.extract({"traceparent": parent}) if parent else None
    start = int(started_at * 1_000_000_000)
    span = TRACER.start_span(name, context=context, kind=_KINDS[kind], attributes=dict(attributes), start_time=start)
    span.end(end_time=start + int(seconds * 1_000_000_000))
