"""Which errors mean a store cannot answer now: 503 ``store_unavailable`` (or ``store_not_migrated``) rather than
a 500. :class:`ticket_service.http.ServiceMiddleware` answers every error no handler took with it."""

from __future__ import annotations

import asyncio
import sqlite3

from ticket_workflow.ports import StoreUnavailable

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
