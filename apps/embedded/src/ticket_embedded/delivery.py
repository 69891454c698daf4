"""In-process delivery: every committed append is handed to the projector right away.

The projection runs after the commit, outside the command's transaction: a projection failure never
refuses a command, and what was not projected is caught up from the store on the next append or restart.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ticket_projector.projector import Projector
from ticket_workflow import Event
from ticket_workflow.ports import EventStore, RecordedResponse

log = logging.getLogger("ticket_embedded")


class ProjectingStore:
    """An :class:`EventStore` that projects what it appends."""

    def __init__(self, store: EventStore, projector: Projector) -> None:
        self._store = store
        self._projector = projector

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        *,
        response: RecordedResponse | None = None,
    ) -> list[Event]:
        stored = await self._store.append(stream_id, expected_version, events, response=response)
        try:
            await self._projector.apply(stored)
        except Exception:
            log.exception("projection of positions %s failed; it resumes from the store", [e.position for e in stored])
        return stored

    async def read_stream(
        self, stream_id: str, *, after_version: int = 0, up_to_version: int | None = None
    ) -> list[Event]:
        return await self._store.read_stream(stream_id, after_version=after_version, up_to_version=up_to_version)

    async def read_all(self, after_position: int = 0, limit: int = 500) -> list[Event]:
        return await self._store.read_all(after_position, limit)

    async def last_position(self) -> int:
        return await self._store.last_position()

    async def recorded_response(self, actor: str, key: str) -> RecordedResponse | None:
        return await self._store.recorded_response(actor, key)
