"""The projector in the same process as the command routes (the embedded mode), on any read model and store.

:class:`InProcessProjection` is what :class:`~ticket_projector.app.Parts` runs there instead of the Redis
consumer: at start it catches up with what was stored but not projected before a stop, and ``/ready`` reports a
halt on a poison event. A halt stops the projection, not the app: commands and (stale) reads keep working.

:class:`ProjectingStore` is the delivery: every committed append is handed to the projector right away. The
projection runs after the commit, outside the command's transaction: a projection failure never refuses a
command, and what was not projected is caught up from the store on the next append or restart. Each new
checkpoint is announced to ``on_projected`` (the query side's checkpoint watch), which wakes the read-your-writes
waits and live streams of this process.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

from ticket_eventstore.ports import CommandStore, RecordedResponse
from ticket_readmodel.read_model import ReadModel
from ticket_workflow import Event
from ticket_workflow.ports import STAFF_SCAN_LIMIT, StaffSeen, StoreUnavailable

from .projector import ProjectionHalted, ProjectionObserver, Projector
from .runtime import halted_body

log = logging.getLogger("ticket_projector")


class InProcessProjection:
    """Projects ``opened()``'s store into its read model (both opened by the host before :meth:`start`)."""

    def __init__(
        self,
        opened: Callable[[], tuple[ReadModel, CommandStore]],
        on_projected: Callable[[int], None] = lambda _: None,
    ) -> None:
        self._opened = opened
        self._on_projected = on_projected
        self._projector: Projector | None = None
        self._store: CommandStore | None = None
        self.observers: list[ProjectionObserver] = []  # handed to the projector when it starts

    async def start(self) -> None:
        read_model, self._store = self._opened()
        self._projector = Projector(read_model, self._store)
        self._projector.observers = self.observers
        # A poison event halts the projection (logged, on /ready), not the app.
        with contextlib.suppress(ProjectionHalted):
            await self._projector.catch_up()
        self._on_projected(await read_model.checkpoint())

    async def stop(self) -> None:
        self._projector = self._store = None

    @property
    def projector(self) -> Projector | None:
        """The running projector (None before start and after stop)."""
        return self._projector

    def ended(self) -> bool:
        return False  # nothing runs in the background: appends project, and a halt is reported by /ready

    def projecting(self) -> ProjectingStore:
        """The store to append to: it projects each append (after :meth:`start`)."""
        if self._projector is None or self._store is None:
            raise StoreUnavailable("the projection has not started")
        return ProjectingStore(self._store, self._projector, self._on_projected)

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        if self._projector is None:
            return False, {"code": "not_ready", "status": "starting", "message": "the projection has not started"}
        projected = await self._projector.read_model.checkpoint()
        halt = self._projector.halt or await self._projector.read_model.recorded_halt()
        if halt is not None:
            return False, halted_body({"projected_position": projected}, halt, retrying=self._projector.halt is None)
        return True, {"projected_position": projected, "status": "ready"}


class ProjectingStore:
    """A :class:`~ticket_eventstore.ports.CommandStore` that projects what it appends."""

    def __init__(
        self, store: CommandStore, projector: Projector, on_projected: Callable[[int], None] = lambda _: None
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
