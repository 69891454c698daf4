"""In-process delivery: every committed append is handed to the projector right away.

The projection runs after the commit, outside the command's transaction: a projection failure never
refuses a command, and what was not projected is caught up from the store on the next append or restart.
Each new checkpoint is announced to ``on_projected`` (the query side's checkpoint watch), which wakes the
read-your-writes waits and live streams of this process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from ticket_projector.projector import Projector
from ticket_workflow import Event
from ticket_workflow.ports import STAFF_SCAN_LIMIT, EventStore, RecordedResponse, StaffSeen

log = logging.getLogger("ticket_embedded")


class ProjectingStore:
    """An :class:`EventStore` that projects what it appends."""

    def __init__(
        self, store: EventStore, projector: Projector, on_projected: Callable[[int], None] = lambda _: None
    ) -> None:
        self._store = store
        self._projector = projector
        self._on_projected = on_projected

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
            self._on_projected(await self._projector.apply(stored))
        except Exception:
            log.exception("projection of positions %s failed; it resumes from the store", [e.position for e in stored])
            await self._announce_progress()
        return stored

    async def _announce_progress(self) -> None:
        """What a failed projection still applied (the events before a poison one) is announced too."""
        try:
            self._on_projected(await self._projector.read_model.checkpoint())
        except Exception:
            log.exception("cannot read the checkpoint after a failed projection")

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

    async def staff_seen(self, after_position: int = 0, *, limit: int = STAFF_SCAN_LIMIT) -> StaffSeen:
        return await self._store.staff_seen(after_position, limit=limit)
