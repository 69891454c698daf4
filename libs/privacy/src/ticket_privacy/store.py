"""A store decorator: what is appended is sealed, what is read is opened; the command handling never knows.

The data subject of a ticket is its requester, named (as an identifier, in the clear) by the ticket's creation
event. Appends return the events as given (plain) with their positions; the store and everything reading it
(the relay, the Redis stream) hold only sealed values.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

from ticket_workflow import CREATED, Event
from ticket_workflow.ports import STAFF_SCAN_LIMIT, StaffSeen
from ticket_workflow.streams import is_system_stream

from .privacy import Privacy


class Appending(Protocol):
    """The store decorated: the event store's port plus the recorded answers of Idempotency-Keys."""

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[Event], *, response: Any = None
    ) -> list[Event]: ...

    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, up_to_version: int | None = None
    ) -> list[Event]: ...

    async def read_all(self, after_position: int = 0, limit: int = 500) -> list[Event]: ...

    async def last_position(self) -> int: ...

    async def recorded_response(self, actor: str, key: str) -> Any: ...

    async def staff_seen(self, after_position: int = 0, *, limit: int = STAFF_SCAN_LIMIT) -> StaffSeen: ...


class SealingStore:
    def __init__(self, inner: Appending, privacy: Privacy, *, remembered: int = 100_000) -> None:
        self.inner = inner
        self.privacy = privacy
        self._remembered = remembered
        self._subjects: OrderedDict[str, str] = OrderedDict()  # ticket id -> requester

    async def append(
        self, stream_id: str, expected_version: int, events: Sequence[Event], *, response: Any = None
    ) -> list[Event]:
        subject = await self.subject_of(stream_id, events)
        sealed = await self.privacy.seal(events, subject) if subject is not None else list(events)
        stored = await self.inner.append(stream_id, expected_version, sealed, response=response)
        return [
            plain.model_copy(update={"position": kept.position}) for plain, kept in zip(events, stored, strict=True)
        ]

    async def subject_of(self, stream_id: str, events: Sequence[Event] = ()) -> str | None:
        """The requester of ticket ``stream_id`` (None for a system stream or an unknown ticket)."""
        if is_system_stream(stream_id):
            return None
        subject = self._subjects.get(stream_id)
        if subject is None:
            created = next((e for e in events if e.type == CREATED), None)
            if created is None:
                first = await self.inner.read_stream(stream_id, up_to_version=1)
                created = first[0] if first else None
            if created is None or not isinstance(created.data.get("requester"), str):
                return None
            subject = created.data["requester"]
        self._subjects[stream_id] = subject
        self._subjects.move_to_end(stream_id)
        while len(self._subjects) > self._remembered:
            self._subjects.popitem(last=False)
        return subject

    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, up_to_version: int | None = None
    ) -> list[Event]:
        events = await self.inner.read_stream(stream_id, after_version=after_version, up_to_version=up_to_version)
        return await self.privacy.open(events)

    async def read_all(self, after_position: int = 0, limit: int = 500) -> list[Event]:
        return await self.privacy.open(await self.inner.read_all(after_position, limit))

    async def last_position(self) -> int:
        return await self.inner.last_position()

    async def recorded_response(self, actor: str, key: str) -> Any:
        return await self.inner.recorded_response(actor, key)

    async def staff_seen(self, after_position: int = 0, *, limit: int = STAFF_SCAN_LIMIT) -> StaffSeen:
        return await self.inner.staff_seen(after_position, limit=limit)
