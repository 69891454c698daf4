"""The projector's and the relay's telemetry observers: one line per applied batch or published page with its
positions and correlation ids (bounded), lines for gaps, retries and halts, and with tracing on a span per event
whose parent is the event's traceparent."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support.events import event
from ticket_command.telemetry import RelayTelemetry
from ticket_projector.projector import Halt
from ticket_projector.telemetry import MAX_CORRELATION_IDS, ProjectionTelemetry, correlation_ids
from ticket_service import tracing
from ticket_workflow import Event, EventMetadata

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def stored(position: int, correlation_id: str | None, traceparent: str | None = None) -> Event:
    made = event("t-1", position, "Assigned", assignee="bob")
    metadata = EventMetadata(actor="bob", correlation_id=correlation_id, traceparent=traceparent)
    return made.model_copy(update={"position": position, "metadata": metadata})


def test_correlation_ids_are_distinct_in_order_and_bounded() -> None:
    batch = [stored(p, f"req-{p % 30}") for p in range(1, 61)] + [stored(61, None)]
    ids, distinct = correlation_ids(batch)
    assert distinct == 30 and len(ids) == MAX_CORRELATION_IDS
    assert ids == [f"req-{n}" for n in range(1, MAX_CORRELATION_IDS + 1)]


def test_a_line_per_applied_batch(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ticket_projector.batches"):
        ProjectionTelemetry().applied([stored(4, "req-a"), stored(5, "req-b"), stored(6, "req-a")], 1.0e9, 0.012)
        ProjectionTelemetry().applied([], 1.0e9, 0.0)  # nothing applied: no line
    [line] = caplog.records
    assert line.getMessage() == "applied 3 event(s) at positions 4..6 in 12.0 ms"
    fields = line.__dict__
    assert (fields["first_position"], fields["last_position"], fields["count"]) == (4, 6, 3)
    assert fields["correlation_ids"] == ["req-a", "req-b"] and fields["correlation_count"] == 2
    assert fields["seconds"] == 0.012 and fields["projection"] == "tickets"


def test_gap_retry_and_halt_lines(caplog: pytest.LogCaptureFixture) -> None:
    telemetry = ProjectionTelemetry()
    halt = Halt(position=9, reason="boom", event_type="Assigned", ticket_id="t-9", halted_at=datetime.now(UTC))
    with caplog.at_level(logging.INFO, logger="ticket_projector.batches"):
        telemetry.catching_up(3, 8)
        telemetry.retried(9, 2)
        telemetry.halted(halt)
    gap, retry, halted = caplog.records
    assert (gap.levelname, gap.__dict__["after_position"], gap.__dict__["until_position"]) == ("INFO", 3, 8)
    assert (retry.levelname, retry.__dict__["position"], retry.__dict__["attempt"]) == ("WARNING", 9, 2)
    assert halted.levelname == "ERROR" and halted.__dict__["ticket_id"] == "t-9" and halted.__dict__["reason"] == "boom"


def test_a_line_per_published_page(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="ticket_command.relay"):
        RelayTelemetry("events").published([stored(7, "req-x"), stored(8, None)], 1.0e9, 0.001)
    [line] = caplog.records
    assert line.__dict__["correlation_ids"] == ["req-x"] and line.__dict__["stream"] == "events"
    assert (line.__dict__["first_position"], line.__dict__["last_position"]) == (7, 8)


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "TRACER", provider.get_tracer("test"))
    yield exporter
    provider.shutdown()


def test_with_tracing_each_event_is_a_span_under_its_traceparent(spans: InMemorySpanExporter) -> None:
    ProjectionTelemetry().applied([stored(4, "req-a", PARENT), stored(5, "req-b")], 1.0e9, 0.5)
    RelayTelemetry("events").published([stored(4, "req-a", PARENT)], 1.0e9, 0.5)
    joined, alone, published = spans.get_finished_spans()
    assert joined.name == "project Assigned" and joined.parent is not None
    assert joined.parent.span_id == 0xB7AD6B7169203331 and joined.context.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert joined.attributes is not None and joined.attributes["correlation_id"] == "req-a"
    assert alone.parent is None  # an event written without tracing starts a trace of its own
    assert published.name == "publish Assigned" and published.parent is not None
    assert published.parent.span_id == 0xB7AD6B7169203331
