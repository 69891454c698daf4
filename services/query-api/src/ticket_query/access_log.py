"""Tokens stay out of the logs: uvicorn's access log prints each request's path with its query string, and
EventSource clients put their token there (``?access_token=``, they cannot send headers)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import unquote_plus

MASK = "***"
TOKEN_PARAMETERS = frozenset({"access_token"})
ACCESS_LOGGER = "uvicorn.access"


def mask_tokens(target: str) -> str:
    """``target`` (a path with its query string) with the value of every token parameter masked."""
    path, question, query = target.partition("?")
    if not question:
        return target
    pairs = []
    for pair in query.split("&"):
        key, equals, _ = pair.partition("=")
        # Compare the key as the server decodes it: ``access%5Ftoken=...`` is a token too.
        if equals and unquote_plus(key).strip().lower() in TOKEN_PARAMETERS:
            pair = f"{key}={MASK}"
        pairs.append(pair)
    return f"{path}?{'&'.join(pairs)}"


class MaskTokens(logging.Filter):
    """Masks token parameters in a record's message and in its string arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_masked(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _masked(v) for k, v in record.args.items()}
        return True


def mask_access_log(logger_name: str = ACCESS_LOGGER) -> None:
    """Install :class:`MaskTokens` on the access logger (once)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, MaskTokens) for f in logger.filters):
        logger.addFilter(MaskTokens())


def serve(app: Any, *, host: str, port: int, log_level: str) -> None:
    """``uvicorn.run`` with the token mask on the access log (installed after uvicorn configured its logging).

    uvloop and httptools are named, not left to uvicorn's "auto": a missing one fails at start instead of
    silently serving several times slower.
    """
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_level=log_level.lower(), loop="uvloop", http="httptools")
    mask_access_log()
    uvicorn.Server(config).run()


def _masked(value: Any) -> Any:
    return mask_tokens(value) if isinstance(value, str) else value
