"""The one ASGI middleware every service runs (:func:`ticket_service.shell.create_shell` adds it).

For each HTTP request, in this order:

1. the request id: ``X-Request-ID`` taken from the request when it is safe (or made), exposed as
   ``request.state.request_id`` and echoed on every answer, refusals and failures included;
2. input hygiene: text no store can keep in the path, the query or a read header is a 422 (:mod:`.hygiene`);
3. the body limit (when given): a larger body is a 413, announced or not;
4. failures: an exception no handler took becomes 503 ``store_unavailable`` / ``store_not_migrated`` when a store
   failed, else a 500 ``internal_error``, in the shared shape (:mod:`.failures`);
5. metrics (when given): the answer's status and duration, by route template (:mod:`.metrics`), once the answer
   is over, whoever gave it; and one log line for the request (:func:`.logs.log_request`);
6. when tracing is on (``OTEL_EXPORTER_OTLP_ENDPOINT``), a server span around all of it (:mod:`.tracing`).

Failures are answered here, not by a Starlette handler for ``Exception``: that handler runs in the server-error
middleware, which re-raises after answering, and the server then closes the client's keep-alive connection.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import tracing
from .errors import error_response
from .failures import store_failure
from .hygiene import unsafe_input
from .logs import log_request
from .metrics import HttpMetrics

log = logging.getLogger("ticket_service")

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class ServiceMiddleware:
    """Request id, hygiene, body limit, failures and metrics, in the order of the module's docstring."""

    def __init__(self, app: ASGIApp, max_body_bytes: int | None = None, metrics: HttpMetrics | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if tracing.TRACER is not None:
            await tracing.traced_request(scope, lambda: self._measured(scope, receive, send))
        else:
            await self._measured(scope, receive, send)

    async def _measured(self, scope: Scope, receive: Receive, send: Send) -> int:
        """Serve, then count and log the answer; returns its status (0 when none started)."""
        began = time.perf_counter()
        status = [0]  # set by the answer's start, whoever answers
        try:
            await self._serve(scope, receive, send, status)
        finally:
            if status[0]:
                seconds = time.perf_counter() - began
                if self.metrics is not None:
                    self.metrics.observe(scope, status[0], seconds)
                log_request(scope, status[0], seconds)
        return status[0]

    async def _serve(self, scope: Scope, receive: Receive, send: Send, status: list[int]) -> None:
        headers = dict(scope["headers"])
        given = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = given if _SAFE_ID.match(given) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        started = refused = False

        async def answer(message: Message) -> None:  # every answer of this request goes out here
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                status[0] = message["status"]
                message.setdefault("headers", []).append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        async def respond(status: int, code: str, message: str, field: str | None = None) -> None:
            await error_response(Request(scope), status, code, message, field)(scope, receive, answer)

        unsafe = unsafe_input(scope)
        if unsafe is not None:
            field, message = unsafe
            await respond(422, "invalid_request", message, field)
            return
        limit = self.max_body_bytes
        too_large = (f"request body exceeds {limit} bytes",)
        length = headers.get(b"content-length")
        if limit is not None and length is not None and length.isdigit() and int(length) > limit:
            await respond(413, "body_too_large", *too_large)
            return
        received = 0

        async def limited() -> Message:
            # Answer 413 as soon as the limit is crossed, then tell the app the client left; whatever the app
            # answers after that is dropped.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if limit is not None and message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await respond(413, "body_too_large", *too_large)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not refused:
                await answer(message)

        try:
            await self.app(scope, limited, guarded)
        except Exception as exc:
            if started:
                raise  # a response (a stream) broke off: only closing the connection tells the client
            failure = store_failure(exc)
            if failure is None:
                log.exception("unexpected error", exc_info=exc)
                await respond(500, "internal_error", "unexpected error; see the service log")
            else:
                log.warning("%s %s: %s", scope["method"], scope["path"], failure[1])
                await respond(503, *failure)
