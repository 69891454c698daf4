"""A command's trace, exported by real processes to an OTLP receiver in the test: the request span of command-api,
its database and Redis calls, the relay's publish and the projector's write of the event join one trace, the
projector's span a child of the request span through the event's ``traceparent``."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.conftest import RedisNamespace
from ticket_service.auth import mint_token

from .chain import SECRET, write_path


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]


class Receiver:
    """The OTLP/HTTP trace endpoint (``POST /v1/traces``, protobuf) on a loopback port, keeping every span."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver.keep(request)
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def keep(self, request: ExportTraceServiceRequest) -> None:
        for resource_spans in request.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {a.key: _value(a.value) for a in span.attributes}
                    kept = Span(
                        resource.get("service.name", ""),
                        span.name,
                        span.trace_id.hex(),
                        span.span_id.hex(),
                        span.parent_span_id.hex(),
                        attributes,
                    )
                    with self.lock:
                        self.spans.append(kept)

    def received(self) -> list[Span]:
        with self.lock:
            return list(self.spans)


def _value(value: Any) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_projectors_write_joins_the_commands_trace(
    database_url: str, redis_namespace: RedisNamespace, tmp_path: Path
) -> None:
    token = mint_token(SECRET, "alice", ["customer"])
    with receiving() as receiver:
        tracing = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        with write_path(database_url, redis_namespace, tmp_path, **tracing) as chain:
            created = httpx.post(
                f"{chain.command.url}/api/support-ticket",
                json={"subject": "Trace me"},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-me-1"},
                timeout=10,
            )
            assert created.status_code == 201, created.text

            def request_span() -> Span | None:
                found = [
                    s
                    for s in receiver.received()
                    if s.service == "command-api" and s.attributes.get("request_id") == "trace-me-1"
                ]
                return found[0] if found else None

            def projected() -> list[Span]:
                request = request_span()
                return [
                    s
                    for s in receiver.received()
                    if request is not None and s.service == "projector" and s.trace_id == request.trace_id
                ]

            assert wait_until(lambda: bool(projected())), [(s.service, s.name) for s in receiver.received()]
            request = request_span()
            assert request is not None and request.name == "POST /api/support-ticket"
            [project] = projected()
            assert project.name == "project Created" and project.attributes["correlation_id"] == "trace-me-1"
            assert reaches(project, request, receiver.received())

            def in_trace(service: str) -> list[Span]:
                return [s for s in receiver.received() if s.service == service and s.trace_id == request.trace_id]

            assert wait_until(lambda: any(s.name == "publish Created" for s in in_trace("command-api")))
            [publish] = [s for s in in_trace("command-api") if s.name == "publish Created"]
            assert reaches(publish, request, receiver.received())
            database = [s for s in in_trace("command-api") if s.attributes.get("db.system") == "postgresql"]
            assert database and all(reaches(s, request, receiver.received()) for s in database)
            assert wait_until(lambda: any(s.attributes.get("db.system") == "redis" for s in receiver.received())), (
                "no Redis span"
            )
            redis_services = {s.service for s in receiver.received() if s.attributes.get("db.system") == "redis"}
            assert redis_services & {"command-api", "projector"}


def reaches(span: Span, ancestor: Span, spans: list[Span]) -> bool:
    """Whether ``ancestor`` is on ``span``'s parent chain (within one trace)."""
    by_id = {s.span_id: s for s in spans if s.trace_id == span.trace_id}
    current: Span | None = span
    for _ in range(len(by_id) + 1):
        if current is None or not current.parent_span_id:
            return False
        if current.parent_span_id == ancestor.span_id:
            return True
        current = by_id.get(current.parent_span_id)
    return False
