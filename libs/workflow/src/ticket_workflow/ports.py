"""Ports the application layers depend on; adapters (Postgres, SQLite) implement them at the edge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .definition import SUPPORT_TICKET
from .events import Event
from .roles import staff_roles

# The roles that make whoever presents one staff: agent and every role inheriting it (supervisor, admin).
STAFF_ROLES: frozenset[str] = staff_roles(SUPPORT_TICKET)
# Most events one ``staff_seen`` call reads: a first scan of a large store is a series of bounded statements.
STAFF_SCAN_LIMIT = 50_000


class StoreUnavailable(Exception):
    """The event store cannot be reached."""


@dataclass(frozen=True)
class StaffSeen:
    """Who acted with a staff role (``metadata.roles`` holding one of :data:`STAFF_ROLES`) in a range of events."""

    actors: frozenset[str]
    position: int  # the last position read: the next call continues after it
    caught_up: bool  # fewer events than the limit were left: nothing after ``position`` was committed yet


class EventStore(Protocol):
    """An append-only log of events: per-stream versions, global positions in commit order."""

    async def append(self, stream_id: str, expected_version: int, events: Sequence[Event]) -> list[Event]:
        """Append ``events`` (versions expected_version+1, ...) atomically.

        Returns the events with their global positions. Raises :class:`~ticket_workflow.VersionConflict` when
        the stream is no longer at ``expected_version`` (0 for a new stream), writing nothing.
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

    async def staff_seen(self, after_position: int = 0, *, limit: int = STAFF_SCAN_LIMIT) -> StaffSeen:
        """The ``metadata.actor`` of every event after ``after_position`` whose ``metadata.roles`` hold a staff
        role, reading at most ``limit`` events in position order (the position index: a call reads only what
        is newer). ``position`` is the last position read (``after_position`` when there was none)."""
        ...
