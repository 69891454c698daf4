"""Driving an ASGI app the way an HTTP client does, where ``httpx`` cannot (a client that hangs up mid-body)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any


async def read_stream(
    app: Any, query: str, headers: Mapping[str, str | bytes], enough: Callable[[str], bool]
) -> tuple[int, str]:
    """Drive the ASGI app like a client that disconnects once ``enough`` of the body has arrived."""
    status, body = 0, ""
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, body
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body += message.get("body", b"").decode()
            if enough(body) or not message.get("more_body", False):
                done.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/stream",
        "raw_path": b"/api/stream",
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v if isinstance(v, bytes) else v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("query", 80),
    }
    async with asyncio.timeout(30):  # a bound against hanging, not a speed assertion
        await app(scope, receive, send)
    return status, body
