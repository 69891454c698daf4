"""Finds, before any route runs, text no store can keep (NUL, unpaired surrogates) in the path, the query and
the headers the services read: the service middleware refuses it with 422 ``invalid_request`` naming where.

Such text used to reach PostgreSQL, which refused it with an error the services answered as a 500. Bodies are
checked by their models (:data:`ticket_workflow.data.Text`).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.types import Scope

from ticket_workflow.data import UNSAFE_TEXT_MESSAGE, is_unsafe_text

# Headers some service reads, and their grammar: printable ASCII (space included), nothing else.
READ_HEADERS = (b"idempotency-key", b"x-request-id", b"last-event-id", b"x-min-position")
_NOT_PRINTABLE = re.compile(rb"[^\x20-\x7e]")
_SPELLING = {b"idempotency-key": "Idempotency-Key", b"x-request-id": "X-Request-ID", b"last-event-id": "Last-Event-ID"}


def unsafe_input(scope: Scope) -> tuple[str, str] | None:
    """``(field, message)`` for the first unsafe path, query parameter or read header; None when all are clean."""
    if is_unsafe_text(scope["path"]):
        return "path", f"path: {UNSAFE_TEXT_MESSAGE}"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:  # the only way a decoded query parameter holds NUL
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if is_unsafe_text(name) or is_unsafe_text(value):
                field = name if not is_unsafe_text(name) else "query"
                return field, f"{field}: {UNSAFE_TEXT_MESSAGE}"
    for name, value in scope["headers"]:
        if name in READ_HEADERS and _NOT_PRINTABLE.search(value):
            field = _SPELLING.get(name, "X-Min-Position")
            return field, f"{field}: printable ASCII characters only"
    return None
