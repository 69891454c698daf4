"""The inputs that used to answer 500 (and reset the connection), sent to the real processes over one keep-alive
connection each: every one is refused with 4xx in the shared error shape, nothing is written, and the next request
on the same connection is still answered."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import Stack, bearer

CUSTOMER, AGENT = bearer("alice", "customer"), bearer("bob", "agent")
JSON = {"Content-Type": "application/json"}


def connect(url: str) -> Iterator[http.client.HTTPConnection]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    yield connection
    connection.close()


@pytest.fixture
def command(fuzz_stack: Stack) -> Iterator[http.client.HTTPConnection]:
    yield from connect(fuzz_stack.command)


@pytest.fixture
def query(fuzz_stack: Stack) -> Iterator[http.client.HTTPConnection]:
    yield from connect(fuzz_stack.query)


def exchange(
    connection: http.client.HTTPConnection, method: str, path: str, headers: dict[str, Any], body: str | None = None
) -> tuple[int, dict[str, Any]]:
    connection.putrequest(method, path, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    payload = body.encode() if body is not None else b""
    connection.putheader("Content-Length", str(len(payload)))
    connection.endheaders(payload)
    response = connection.getresponse()
    raw = response.read()
    assert response.getheader("content-type") == "application/json", raw[:200]
    return response.status, json.loads(raw)


def assert_refused(status: int, body: dict[str, Any], field: str) -> None:
    assert 400 <= status < 500, body
    assert body["success"] is False and body["code"] == "invalid_request", body
    assert body["field"] == field and body["message"] and body["request_id"], body


def store_position(stack: Stack) -> int:
    position: int = httpx.get(f"{stack.query}/ready", timeout=10).json()["last_position"]
    return position


def still_answers(connection: http.client.HTTPConnection) -> None:
    status, body = exchange(connection, "GET", "/health", {})
    assert (status, body["status"]) == (200, "ok")


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("subject", '{"subject": "VPN\\u0000down"}'),
        ("description", '{"subject": "VPN", "description": "it\\u0000broke"}'),
        ("subject", '{"subject": "VPN \\ud800 down"}'),
    ],
)
def test_unsafe_text_in_a_new_ticket_is_refused(
    fuzz_stack: Stack, command: http.client.HTTPConnection, field: str, body: str
) -> None:
    before = store_position(fuzz_stack)
    status, answer = exchange(command, "POST", "/api/support-ticket", CUSTOMER | JSON, body)
    assert_refused(status, answer, field)
    still_answers(command)
    assert store_position(fuzz_stack) == before


@pytest.mark.parametrize(
    ("field", "data"),
    [("aggregate_id", {"aggregate_id": "ab\u0000cd"}), ("data.assignee", {"data": {"assignee": "b\u0000b"}})],
)
def test_unsafe_text_in_a_command_is_refused(
    fuzz_stack: Stack, command: http.client.HTTPConnection, field: str, data: dict[str, Any]
) -> None:
    _, created = exchange(command, "POST", "/api/support-ticket", CUSTOMER | JSON, '{"subject": "Printer"}')
    before = store_position(fuzz_stack)
    body = json.dumps({"aggregate_id": created["aggregate_id"]} | data)
    status, answer = exchange(command, "POST", "/api/assign", AGENT | JSON, body)
    assert_refused(status, answer, field)
    still_answers(command)
    assert store_position(fuzz_stack) == before


@pytest.mark.parametrize(
    ("path", "headers", "field"),
    [
        ("/api/support-ticket/ab%00cd", {}, "path"),
        ("/api/support-ticket?q=%00", {}, "q"),
        ("/api/stream", {"Last-Event-ID": b"\xb2"}, "Last-Event-ID"),  # a raw Latin-1 byte, as a proxy may pass
    ],
)
def test_unsafe_text_in_a_read_is_refused(
    query: http.client.HTTPConnection, path: str, headers: dict[str, Any], field: str
) -> None:
    status, answer = exchange(query, "GET", path, AGENT | headers)
    assert_refused(status, answer, field)
    still_answers(query)


def test_an_overlong_last_event_id_is_not_a_server_error(fuzz_stack: Stack) -> None:
    with (
        httpx.Client(timeout=10) as http,
        http.stream("GET", f"{fuzz_stack.query}/api/stream", headers=AGENT | {"Last-Event-ID": "9" * 31}) as response,
    ):
        assert response.status_code < 500
