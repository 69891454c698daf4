"""What the command API needs of an event store beyond the domain's port: the answers kept for Idempotency-Keys.

The record is HTTP's, not the domain's: a stored status code and body. It is written in the same transaction as
the events of the request that produced it, so a key is recorded if and only if its events are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ticket_workflow import Event
from ticket_workflow.ports import EventStore


@dataclass(frozen=True)
class RecordedResponse:
    """The answer to a request made with an Idempotency-Key, stored with the events it wrote."""

    actor: str
    key: str
    request_hash: str
    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


class IdempotencyKeyTaken(Exception):
    """A concurrent request with the same idempotency key committed first: nothing was written."""

    def __init__(self, actor: str, key: str) -> None:
        super().__init__(f"idempotency key {key!r} of {actor!r} is already recorded")
        self.actor = actor
        self.key = key


class CommandStore(EventStore, Protocol):
    """An :class:`~ticket_workflow.ports.EventStore` that keeps each idempotent request's answer with its events."""

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        *,
        response: RecordedResponse | None = None,
    ) -> list[Event]:
        """Append ``events`` (versions expected_version+1, ...) atomically, with ``response`` if given.

        Returns the events with their global positions. Raises :class:`~ticket_workflow.VersionConflict` when
        the stream is no longer at ``expected_version`` (0 for a new stream), :class:`IdempotencyKeyTaken` when
        ``response``'s key is already recorded; in both cases nothing is written.
        """
        ...

    async def recorded_response(self, actor: str, key: str) -> RecordedResponse | None:
        """The response stored with an earlier request of ``actor`` that carried idempotency ``key``."""
        ...
