"""What an error no handler took becomes: 503 ``store_unavailable`` when a store failed, else 500, in the shared shape.

This is a middleware, not a Starlette handler for ``Exception``: that handler runs in the server-error middleware,
which re-raises after answering, and the server then closes the client's keep-alive connection.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ticket_workflow.ports import StoreUnavailable

from .errors import error_response

log = logging.getLogger(__name__)

try:
    import asyncpg
except ImportError:  # pragma: no cover - every service installs asyncpg; the kit does not require it
    _POSTGRES: tuple[type[BaseException], ...] = ()
    _NOT_MIGRATED: tuple[type[BaseException], ...] = ()
else:
    _POSTGRES = (
        asyncpg.InterfaceError,
        asyncpg.InternalClientError,  # "cannot switch to state" on a connection the server just closed
        asyncpg.PostgresConnectionError,
        asyncpg.OperatorInterventionError,  # server shutting down; statement_timeout (QueryCanceled)
        asyncpg.LockNotAvailableError,  # lock_timeout
        asyncpg.IdleInTransactionSessionTimeoutError,
        asyncpg.InsufficientResourcesError,  # too many connections
    )
    # A missing function is a store migrated by an older release (append_batch came with migration 003).
    _NOT_MIGRATED = (asyncpg.UndefinedTableError, asyncpg.InvalidSchemaNameError, asyncpg.UndefinedFunctionError)

_UNAVAILABLE: tuple[type[BaseException], ...] = (StoreUnavailable, OSError, asyncio.TimeoutError, *_POSTGRES)
# SQLite's transient conditions; any other OperationalError (bad SQL) is a bug and stays a 500.
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o")


def store_failure(exc: BaseException) -> tuple[str, str] | None:
    """``(code, message)`` when ``exc`` means a store cannot answer now (worth a retry), else None."""
    if isinstance(exc, _NOT_MIGRATED):
        return "store_not_migrated", "the database schema is missing: run the migrations"
    if isinstance(exc, _UNAVAILABLE):
        return "store_unavailable", f"a store is unavailable: {type(exc).__name__}: {exc}"
    if isinstance(exc, sqlite3.OperationalError) and any(word in str(exc).lower() for word in _SQLITE_TRANSIENT):
        return "store_unavailable", f"the database is busy: {exc}"
    return None


class Failures:
    """Answers an exception that escaped the app, while nothing has been sent yet, in the shared error shape."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:
                raise  # a response (a stream) broke off: only closing the connection tells the client
            failure = store_failure(exc)
            request = Request(scope)
            if failure is None:
                log.exception("unexpected error", exc_info=exc)
                response = error_response(request, 500, "internal_error", "unexpected error; see the service log")
            else:
                log.warning("%s %s: %s", scope["method"], scope["path"], failure[1])
                response = error_response(request, 503, *failure)
            await response(scope, receive, send)
