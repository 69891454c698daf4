"""Ports the application layers depend on; adapters (Postgres, SQLite) implement them at the edge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .definition import SUPPORT_TICKET
from .events import Event
from .roles import is_staff

# The roles that make whoever presents one staff: agent and every role inheriting it (supervisor, admin).
STAFF_ROLES: frozenset[str] = frozenset(r.name for r in SUPPORT_TICKET.roles if is_staff(SUPPORT_TICKET, [r.name]))
# Most events one ``staff_seen`` call reads: a first scan of a large store is a series of bounded statements.
STAFF_SCAN_LIMIT = 50_000


class ConcurrencyConflict(Exception):
    """Another writer appended to the stream first: nothing was written."""

    def __init__(self, stream_id: str, expected_version: int) -> None:
        super().__init__(f"stream {stream_id!r} is no longer at version {expected_version}")
        self.stream_id = stream_id
        self.expected_version = expected_version


class IdempotencyKeyTaken(Exception):
    """A concurrent request with the same idempotency key committed first: nothing was written."""

    def __init__(self, actor: str, key: str) -> None:
        super().__init__(f"idempotency key {key!r} of {actor!r} is already recorded")
        self.actor = actor
        self.key = key


class StoreUnavailable(Exception):
    """The event store cannot be reached."""


@dataclass(frozen=True)
class RecordedResponse:
    """The answer to a request made with an Idempotency-Key, stored with the events it wrote."""

    actor: str
    key: str
    request_hash: str
    status_code: int
    body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StaffSeen:
    """Who acted with a staff role (``metadata.roles`` holding one of :data:`STAFF_ROLES`) in a range of events."""

    actors: frozenset[str]
    position: int  # the last position read: the next call continues after it
    caught_up: bool  # fewer events than the limit were left: nothing after ``position`` was committed yet


class EventStore(Protocol):
    """An append-only log of events: per-stream versions, global positions in commit order."""

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        *,
        response: RecordedResponse | None = None,
    ) -> list[Event]:
        """Append ``events`` (versions expected_version+1, ...) atomically, with ``response`` if given.

        Returns the events with their global positions. Raises :class:`ConcurrencyConflict` when the stream is
        no longer at ``expected_version`` (0 for a new stream), :class:`IdempotencyKeyTaken` when ``response``'s
        key is already recorded; in both cases nothing is written.
        """
        ...

    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, up_to_version: int | None = None
    ) -> list[Event]:
        """The events of one stream, oldest first: those after ``after_version`` (up to ``up_to_version``)."""
        ...

    async def read_all(self, after_position: int = 0, limit: int = 500) -> list[Event]:
        """Up to ``limit`` events with a position greater than ``after_position``, in position order.

        A reader that remembers the last position it saw never misses an event committed later.
        """
        ...

    async def last_position(self) -> int:
        """The highest committed position (0 when the store is empty)."""
        ...

    async def recorded_response(self, actor: str, key: str) -> RecordedResponse | None:
        """The response stored with an earlier request of ``actor`` that carried idempotency ``key``."""
        ...

    async def staff_seen(self, after_position: int = 0, *, limit: int = STAFF_SCAN_LIMIT) -> StaffSeen:
        """The ``metadata.actor`` of every event after ``after_position`` whose ``metadata.roles`` hold a staff
        role, reading at most ``limit`` events in position order (the position index: a call reads only what
        is newer). ``position`` is the last position read (``after_position`` when there was none)."""
        ...
