"""Logging of every service: one JSON object per line (``LOG_FORMAT=json``, the services' default) or a readable
line (``text``, ``make run`` and ``make stack``), on standard error.

:func:`configure_logging` sets the root logger once per process and makes uvicorn use the same configuration (its
own lines go through the same handler, in its worker processes too). uvicorn's access log is off: the shell's
middleware writes one line per request instead (:func:`log_request`, logger ``ticket.access``), with the route
template, the path, the status, the duration, the request id, the caller's ``sub`` when known and the client.

No token reaches a line from here: the request line carries the path and the query string with the value of every
token parameter masked (EventSource clients send their token as ``?access_token=``, they cannot send headers), and
never a header. A record's extra fields (``extra={...}``) become JSON fields (or ``key=value`` in text).
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import unquote_plus

import orjson
from starlette.types import Scope

LogFormat = Literal["json", "text"]
MASK = "***"
TOKEN_PARAMETERS = frozenset({"access_token", "token", "id_token", "refresh_token", "api_key", "apikey", "secret"})
ACCESS = logging.getLogger("ticket.access")

# Attributes every LogRecord has: anything else on a record came from ``extra`` and is written as a field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "color_message"}


def mask_tokens(text: str) -> str:
    """``text`` (a path with its query string, or a line quoting one) with the value of every token parameter
    masked; keys are compared as the server decodes them (``access%5Ftoken=`` is a token too)."""
    if "=" not in text:
        return text
    return _PARAMETER.sub(_masked, text)


def mask_query(query: str) -> str:
    """A query string (without its ``?``) with the value of every token parameter masked."""
    return mask_tokens("?" + query)[1:]


_PARAMETER = re.compile(r"([?&])([^=&?\s]+)=([^&\s#]*)")


def _masked(match: re.Match[str]) -> str:
    separator, key, value = match.groups()
    if unquote_plus(key).strip().lower() in TOKEN_PARAMETERS:
        value = MASK
    return f"{separator}{key}={value}"


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in record.__dict__.items() if key not in _STANDARD and not key.startswith("_")}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...extra fields, "exception"?}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_tokens(record.getMessage()),
        }
        body.update(_extras(record))
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        try:
            return orjson.dumps(body, default=str).decode()
        except TypeError:  # what orjson refuses (an integer beyond 64 bits, a dict with odd keys)
            return json.dumps(body, default=str, separators=(",", ":"), ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value ...``, for people reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = mask_tokens(super().format(record))
        fields = " ".join(f"{key}={_text(value)}" for key, value in _extras(record).items())
        return f"{line} {fields}" if fields else line


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def logging_config(level: str, log_format: LogFormat) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of a service: the root on standard error, uvicorn through it, uvicorn's
    access log off."""
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "service", "stream": "ext://sys.stderr"}
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }


def configure_logging(level: str, log_format: LogFormat = "json") -> None:
    """Configure this process's logging, and make uvicorn (which configures logging again when it starts, in each
    worker) apply the same configuration instead of its own."""
    config = logging_config(level, log_format)
    logging.config.dictConfig(config)
    logging.captureWarnings(True)  # Python's warnings (e.g. the debug key's) as log lines too
    try:
        from uvicorn.config import LOGGING_CONFIG
    except ImportError:  # pragma: no cover - every service has uvicorn
        return
    # uvicorn.run and uvicorn.Config take this very dict as their default ``log_config``.
    LOGGING_CONFIG.clear()
    LOGGING_CONFIG.update(config)


def uvicorn_options() -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config``/``run``: logging as configured here, no access log."""
    return {"log_config": None, "access_log": False}


def log_request(scope: Scope, status: int, seconds: float) -> None:
    """One line for an answered request (``ticket.access``, info); nothing when the level hides it."""
    if not ACCESS.isEnabledFor(logging.INFO):
        return
    method: str = scope["method"]
    route = scope.get("route")
    template = getattr(route, "path_format", None) if route is not None else None
    path: str = scope["path"]
    query = scope.get("query_string", b"")
    state = scope.get("state") or {}
    client = scope.get("client")
    fields: dict[str, Any] = {
        "method": method,
        "route": template or "other",
        "path": path,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "request_id": state.get("request_id"),
    }
    if query:
        fields["query"] = mask_query(query.decode("latin-1"))
    if (actor := state.get("actor")) is not None:
        fields["actor"] = actor
    if client:
        fields["client"] = client[0]
    target = f"{path}?{fields['query']}" if query else path
    # What Logger.info does, less the search of the caller's frame (a third of the line's cost).
    args = (method, target, status, fields["duration_ms"])
    ACCESS.handle(
        ACCESS.makeRecord(ACCESS.name, logging.INFO, __file__, 0, "%s %s %d %.1fms", args, None, extra=fields)
    )
