"""Idempotency-Key: a retry with the same key and body gets the original answer; nothing is written twice.

Keys are scoped per caller (the token's ``sub``). The answer is stored in the same transaction as the events the
request wrote (``CommandStore.append(..., response=...)``, :mod:`ticket_eventstore.ports`), so a key is recorded
if and only if its events are. Refused requests write nothing, the key included: retrying one re-evaluates it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from ticket_service.errors import ApiError
from ticket_workflow.streams import ERASED

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # printable ASCII without spaces; also the OpenAPI document's pattern
_VALID_KEY = re.compile(KEY_PATTERN)


@dataclass(frozen=True)
class IdempotentRequest:
    """The key a caller sent and the fingerprint of what it asked for."""

    key: str
    request_hash: str


def idempotent_request(key: str | None, path: str, body: Any) -> IdempotentRequest | None:
    if key is None:
        return None
    if not _VALID_KEY.match(key):
        raise ApiError(422, "invalid_idempotency_key", f"{HEADER}: 1 to 255 printable characters", field=HEADER)
    return IdempotentRequest(key, fingerprint(path, body))


def fingerprint(path: str, body: Any) -> str:
    """Same path and same JSON value (whatever the key order or spacing) give the same fingerprint."""
    canonical = json.dumps({"path": path, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def scrubbed(body: dict[str, Any]) -> dict[str, Any]:
    """A recorded answer without personal text (an erasure): members other than the ticket's identifiers, state
    and transitions have their text replaced by ``[erased]``."""
    kept = {"success", "aggregate_id", "version", "place", "state", "enabled_transitions", "available_transitions"}
    return {name: value if name in kept or not isinstance(value, str) else ERASED for name, value in body.items()}


class KeyReused(ApiError):
    def __init__(self, key: str) -> None:
        super().__init__(
            422,
            "idempotency_key_reused",
            f"{HEADER} {key!r} was already used with a different request; use a new key",
            field=HEADER,
        )
