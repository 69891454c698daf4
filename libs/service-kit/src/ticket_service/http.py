"""ASGI middleware every service installs: request ids, input hygiene, a request body limit, failures answered.

``install_middleware`` adds them in their order.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .failures import Failures
from .hygiene import CleanInput

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def install_middleware(app: FastAPI, *, max_body_bytes: int | None = None) -> None:
    """Outermost first: the request id (every answer carries it), refused unsafe input, the body limit (when
    given), then the shared answer to any error no handler took."""
    app.add_middleware(Failures)
    if max_body_bytes is not None:
        app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(CleanInput)
    app.add_middleware(RequestId)


class RequestId:
    """Takes ``X-Request-ID`` from the request (or makes one), exposes it as ``request.state.request_id``,
    and echoes it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if _SAFE_ID.match(given) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyLimit:
    """Answers 413 in the shared error shape when a request body exceeds ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int = 64 * 1024) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._too_large(scope, send)
            return
        received = 0
        refused = False

        async def limited() -> Message:
            # Answer 413 as soon as the limit is crossed, then tell the app the client left; whatever the
            # app answers after that is dropped.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    await self._too_large(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, limited, guarded_send)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        body: dict[str, Any] = {
            "success": False,
            "code": "body_too_large",
            "message": f"request body exceeds {self.max_bytes} bytes",
            "request_id": scope.get("state", {}).get("request_id"),
        }
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
