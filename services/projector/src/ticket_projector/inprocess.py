"""The projector in the same process as the command routes (the embedded mode), on any read model and store.

:class:`InProcessProjection` is what :class:`~ticket_projector.app.Parts` runs there instead of the Redis
consumer: at start it catches up with what was stored but not projected before a stop, and ``/ready`` reports a
halt on a poison event. A halt stops the projection, not the app: commands and (stale) reads keep working.

:class:`ProjectingStore` is the delivery: every committed append is handed to the projector right away. The
projection runs after the commit, outside the command's transaction: a projection failure never refuses a
command, and what was not projected is caught up from the store on the next append or restart. Each new
checkpoint is announced to ``on_projected`` (the query side's checkpoint watch), which wakes the read-your-writes
waits and live streams of this process.

An operator's rebuild (:class:`InPlaceRebuilder`) replays the log in place: the projected tables are emptied and
the projector catches up from the store, a page at a time, while appends are not projected (the replay gets to
them); reads see the read model fill up meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ticket_eventstore.ports import CommandStore, RecordedResponse
from ticket_readmodel.operations import RebuildProgress
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.read_model import Halt, ReadModel
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_readmodel.sqlite_operations import SqliteProjectionLog
from ticket_workflow import Event
from ticket_workflow.ports import STAFF_SCAN_LIMIT, StaffSeen, StoreUnavailable

from .erasure import Opener
from .operations import Operations, TimerWatch
from .projector import ProjectionHalted, ProjectionObserver, Projector
from .readiness import halted_body
from .rebuilds import OnProgress, Refused, forget, running_refusal, shown_progress
from .sla_timer import SlaTimer, alert_log_of, horizon_of

log = logging.getLogger("ticket_projector")
REPLAY_PAGE = 2000  # positions replayed between two records of a rebuild's progress


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
        self.privacy: Opener | None = None  # opens personal values before projecting (handed over likewise)
        self.rebuilding = False
        self._rebuilder: InPlaceRebuilder | None = None
        self.sla_timer = SlaTimer()  # raises service-level alerts into the read model (no election: one process)

    async def start(self) -> None:
        read_model, self._store = self._opened()
        self._projector = Projector(read_model, self._store)
        self._projector.observers = self.observers
        self._projector.privacy = self.privacy
        self._rebuilder = None
        # A poison event halts the projection (logged, on /ready), not the app.
        with contextlib.suppress(ProjectionHalted):
            await self._projector.catch_up()
        self._on_projected(await read_model.checkpoint())
        if (alerts := alert_log_of(read_model)) is not None:
            self.sla_timer.start(alerts, horizon=horizon_of(read_model, self._store))

    async def stop(self) -> None:
        await self.sla_timer.stop()
        if self._rebuilder is not None:
            await self._rebuilder.stop()
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
        return ProjectingStore(self._store, self._projector, self._on_projected, lambda: self.rebuilding)

    def operations(self) -> Operations:
        """Status, retry, skip and the in-place rebuild of this projection (no relay, no consumer group, no alerts
        stream)."""
        if self._projector is None or self._store is None:
            raise StoreUnavailable("the projection has not started")
        read_model = self._projector.read_model
        if not isinstance(read_model, SqliteReadModel | PostgresReadModel):
            raise StoreUnavailable("this read model keeps no record of operations")
        log = read_model.operations()
        if self._rebuilder is None:
            self._rebuilder = InPlaceRebuilder(self, log if isinstance(log, SqliteProjectionLog) else None)
        alerts = alert_log_of(read_model)
        assert alerts is not None  # both read models keep their alerts
        sla = TimerWatch(alerts, timer=self.sla_timer)  # no stream: the alerts are served by GET /api/sla/alerts
        return Operations(
            log=log,
            read_model=read_model,
            store=self._store,
            rebuilder=self._rebuilder,
            sla=sla,
            local=self,
            opener=self.privacy,
        )

    def state(self) -> str:
        if self._projector is None:
            return "starting"
        return "halted" if self._projector.halt is not None else "running"

    def halt(self) -> Halt | None:
        return self._projector.halt if self._projector is not None else None

    async def resume(self, *, retry: bool) -> None:
        """Try again now: the halted event (``retry``), or what follows a skipped one."""
        if self._projector is None:
            return
        self._projector.halt = None
        self._projector.skipped = await self._projector.read_model.operations().skipped_positions()  # type: ignore[attr-defined]
        with contextlib.suppress(ProjectionHalted):
            await self._projector.catch_up()
        self._on_projected(await self._projector.read_model.checkpoint())

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
        self,
        store: CommandStore,
        projector: Projector,
        on_projected: Callable[[int], None] = lambda _: None,
        paused: Callable[[], bool] = lambda: False,
    ) -> None:
        self._store = store
        self._projector = projector
        self._on_projected = on_projected
        self._paused = paused  # a rebuild replays the log: it projects the append too

    async def append(
        self,
        stream_id: str,
        expected_version: int,
        events: Sequence[Event],
        *,
        response: RecordedResponse | None = None,
    ) -> list[Event]:
        stored = await self._store.append(stream_id, expected_version, events, response=response)
        if self._paused():
            return stored
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


class InPlaceRebuilder:
    """Rebuilds the embedded read model in place (see the module's docstring); one at a time in the process."""

    def __init__(self, projection: InProcessProjection, log: SqliteProjectionLog | None) -> None:
        self.projection = projection
        self.log = log
        self.tasks: set[asyncio.Task[Any]] = set()

    async def running(self) -> bool:
        return self.projection.rebuilding

    async def progress(self) -> RebuildProgress | None:
        return await shown_progress(self, self.log) if self.log is not None else None

    async def start(self, actor: str | None, on_progress: OnProgress | None = None) -> asyncio.Task[Any]:
        projector, store, log = self.projection._projector, self.projection._store, self.log
        if log is None or projector is None or store is None:
            raise Refused(409, "rebuild_unsupported", "this read model cannot be rebuilt in place")
        if self.projection.rebuilding:
            raise running_refusal()
        self.projection.rebuilding = True
        try:
            now = datetime.now(UTC)
            started = RebuildProgress(
                state="running", done=0, total=await store.last_position(), actor=actor, started_at=now
            )
            await log.save_rebuild_progress(started)
        except BaseException:
            self.projection.rebuilding = False
            raise
        task = asyncio.create_task(self._run(projector, store, log, started, on_progress), name="rebuild")
        self.tasks.add(task)
        task.add_done_callback(forget(self.tasks))
        return task

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    async def _run(
        self,
        projector: Projector,
        store: CommandStore,
        log: SqliteProjectionLog,
        started: RebuildProgress,
        on_progress: OnProgress | None,
    ) -> int:
        announce = self.projection._on_projected
        progress = started
        try:
            projector.skipped = await log.skipped_positions()
            await log.reset()
            projector.halt = None
            done = 0
            while True:
                total = max(progress.total, await store.last_position())
                reached = await projector.catch_up(until=done + REPLAY_PAGE)
                progress = progress.model_copy(update={"done": reached, "total": total})
                await log.save_rebuild_progress(progress)
                announce(reached)
                if on_progress is not None:
                    on_progress(reached, total)
                if reached >= total or reached == done:
                    break
                done = reached
            self.projection.rebuilding = False
            with contextlib.suppress(ProjectionHalted):
                done = await projector.catch_up()  # what was appended during the last page
            announce(done)
            finished = {"state": "finished", "done": done, "total": max(done, progress.total), "finished_at": _now()}
            await log.save_rebuild_progress(progress.model_copy(update=finished))
            return done
        except BaseException as exc:
            log_failure = {"state": "failed", "finished_at": _now(), "error": f"{type(exc).__name__}: {exc}"[:500]}
            with contextlib.suppress(Exception):
                await log.save_rebuild_progress(progress.model_copy(update=log_failure))
            raise
        finally:
            self.projection.rebuilding = False


def _now() -> datetime:
    return datetime.now(UTC)
