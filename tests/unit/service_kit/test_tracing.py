"""Traces: off without an OTLP endpoint; on, a server span per request (child of the caller's traceparent), the
current span as the traceparent an event carries, and spans recorded after the fact as its children."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from ticket_service import tracing
from ticket_service.shell import create_shell

CALLER = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_off_without_an_endpoint() -> None:
    assert tracing.TRACER is None  # the test process sets no OTEL_EXPORTER_OTLP_ENDPOINT
    assert not tracing.install("command-api", environ={})
    assert tracing.TRACER is None and tracing.traceparent() is None
    assert tracing.enabled({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    tracing.record_span("project Created", CALLER, 0.0, 0.1, {})  # a no-op, not an error


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "TRACER", provider.get_tracer("test"))
    yield exporter
    provider.shutdown()


def shell(seen: list[str | None]) -> FastAPI:
    app = create_shell(title="shell", version="0")

    @app.post("/api/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        seen.append(tracing.traceparent())
        return {"id": thing_id}

    return app


async def test_a_request_is_a_server_span_child_of_the_callers_traceparent(spans: InMemorySpanExporter) -> None:
    seen: list[str | None] = []
    transport = httpx.ASGITransport(app=shell(seen))
    async with httpx.AsyncClient(transport=transport, base_url="http://shell") as client:
        answer = await client.post("/api/things/t-1", headers={"traceparent": CALLER, "X-Request-ID": "req-t-1"})
    assert answer.status_code == 200
    [span] = spans.get_finished_spans()
    assert span.name == "POST /api/things/{thing_id}" and span.kind == SpanKind.SERVER
    assert span.attributes is not None and span.attributes["http.response.status_code"] == 200
    assert span.attributes["request_id"] == "req-t-1"
    assert span.parent is not None and span.parent.span_id == 0xB7AD6B7169203331
    assert span.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    # What the command API writes in the event's metadata: the request span itself.
    assert seen == [f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"]


async def caller(request: Request) -> str:
    return request.headers.get("x-caller", "")


async def test_a_request_is_one_span_with_the_process_tracer_provider_set(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``install`` does in a service: the provider is the process's. FastAPI's own telemetry would then add
    spans of its own (the request again, each dependency, the endpoint, the serialization): it stays off."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    monkeypatch.setattr(tracing, "TRACER", provider.get_tracer("test"))
    app = create_shell(title="shell", version="0")

    @app.get("/api/things/{thing_id}")
    async def thing(thing_id: str, who: Annotated[str, Depends(caller)]) -> dict[str, str]:
        return {"id": thing_id, "who": who}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shell") as client:
        assert (await client.get("/api/things/t-1", headers={"x-caller": "bob"})).status_code == 200
    assert [span.name for span in spans.get_finished_spans()] == ["GET /api/things/{thing_id}"]


def test_a_span_recorded_after_the_fact_joins_the_events_trace(spans: InMemorySpanExporter) -> None:
    tracing.record_span("project Created", CALLER, 1_700_000_000.0, 0.25, {"event.position": 7}, "consumer")
    tracing.record_span("publish Created", None, 1_700_000_000.0, 0.25, {})
    joined, alone = spans.get_finished_spans()
    assert joined.parent is not None and joined.parent.span_id == 0xB7AD6B7169203331
    assert joined.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C and joined.kind == SpanKind.CONSUMER
    assert joined.start_time == 1_700_000_000 * 10**9 and joined.end_time == joined.start_time + 250_000_000
    assert alone.parent is None
