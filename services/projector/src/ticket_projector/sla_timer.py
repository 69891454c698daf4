"""The service-level timer: raises each clock's warning and breach once, on time, with no event arriving.

Every round (``SLA_TIMER_SECONDS``, and at once after the projector applies a batch: :class:`WakeOnApply`) it

1. publishes what was recorded but not published (a leader that died between the two: the outbox);
2. reads the alerts whose warning or due instant has passed and that were not recorded
   (:meth:`~ticket_readmodel.alerts.AlertLog.due`), records them with ``raised_at`` = now (an id per ticket,
   clock, kind and deadline: recorded once, whoever records it), then publishes them and marks them published.

"Passed" means passed in what the read model shows: while events are stored but not yet projected, only instants
before the first of them are alerted (:func:`horizon_of`): a ticket resolved in time but not yet projected (a
backlog, a rebuild in place) is never alerted as breached. A projection halted on an event holds alerts back too.

With an ``election`` (the projector's replicas) only the holder of the timer's advisory lock works, as the relay
does (:mod:`ticket_eventstore.relay.election`); without one (the embedded app, one process) it always works and
publishes nowhere: the recorded alerts are served by ``GET /api/sla/alerts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from ticket_eventstore.relay.election import Election, LeadershipLost, close, still_holding
from ticket_readmodel.alert_logs import alert_log_of
from ticket_readmodel.alerts import Alert, AlertLog
from ticket_workflow import Event

from .projector import ProjectionObserver

__all__ = ["AlertObserver", "AlertSink", "SlaTimer", "WakeOnApply", "alert_log_of", "horizon_of"]
log = logging.getLogger("ticket_projector.sla")

SLA_TIMER_LOCK = 0x5EED_0005  # the PostgreSQL advisory lock whose holder raises the alerts
PAGE = 200  # alerts read, recorded and published at once
MAX_BACKOFF = 5.0
WAKE_GAP = 0.1  # seconds between two rounds woken by applied batches: one round per burst, not per batch
Heartbeat = Callable[[], Awaitable[None]]
Horizon = Callable[[datetime], Awaitable[datetime]]


def timer_seconds() -> float:
    """``SLA_TIMER_SECONDS`` (1 s by default): the longest an alert waits after its instant, plus a round."""
    return float(os.environ.get("SLA_TIMER_SECONDS", "1"))


def utc_now() -> datetime:
    return datetime.now(UTC)


class Checkpointed(Protocol):
    async def checkpoint(self) -> int: ...


class Log(Protocol):
    async def read_all(self, after_position: int = 0, limit: int = 500) -> list[Event]: ...


def horizon_of(read_model: Checkpointed, store: Log) -> Horizon:
    """Until when the read model is complete: ``now``, or the time of the first event it has not applied."""

    async def horizon(now: datetime) -> datetime:
        unapplied = await store.read_all(await read_model.checkpoint(), 1)
        return min(now, unapplied[0].timestamp) if unapplied else now

    return horizon


class AlertSink(Protocol):
    """Where raised alerts are published (the Redis stream); idempotent per alert id."""

    async def publish(self, alerts: Sequence[Alert]) -> None: ...


class AlertObserver:
    """Told what the timer does (metrics); no-ops here. Called on the timer's task: quick, never raising."""

    def raised(self, alert: Alert) -> None:
        """``alert`` was recorded (once: never again for its id)."""

    def leading(self, leader: bool) -> None:
        """This process started (True) or stopped (False) raising alerts."""


@dataclass
class TimerStatus:
    running: bool = False
    leader: bool = False
    last_error: str | None = None
    last_round_at: datetime | None = None
    raised: int = 0
    published: int = 0


class SlaTimer:
    """One timer; :meth:`start` runs it on an :class:`AlertLog` (and a sink, an election), :meth:`stop` ends it."""

    def __init__(self, interval: float | None = None, clock: Callable[[], datetime] = utc_now) -> None:
        self.interval = timer_seconds() if interval is None else interval
        self.clock = clock
        self.status = TimerStatus()
        self.observers: list[AlertObserver] = []
        self.log: AlertLog | None = None
        self.sink: AlertSink | None = None
        self.horizon: Horizon | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def round(self, heartbeat: Heartbeat | None = None) -> int:
        """Publish what is pending, then raise what is due; returns how many alerts were raised."""
        assert self.log is not None, "the timer has no alert log"
        if self.sink is not None:
            await self._publish_pending(heartbeat)
        raised = 0
        while True:
            now = self.clock()
            until = await self.horizon(now) if self.horizon is not None else now
            due = await self.log.due(until, PAGE)
            recorded = await self.log.record([alert.raised(now) for alert in due])
            for alert in recorded:
                self.status.raised += 1
                self._told_raised(alert)
                log.info("sla: %s %s of %s (due %s)", alert.type, alert.clock, alert.ticket_id, alert.due_at)
            raised += len(recorded)
            if recorded and self.sink is not None:
                await self._publish(recorded)
            if len(due) < PAGE:
                break
            if heartbeat is not None:
                await heartbeat()
        self.status.last_round_at = self.clock()
        return raised

    async def _publish_pending(self, heartbeat: Heartbeat | None) -> None:
        assert self.log is not None
        while pending := await self.log.unpublished(PAGE):
            await self._publish(pending)
            if len(pending) < PAGE:
                return
            if heartbeat is not None:
                await heartbeat()

    async def _publish(self, alerts: Sequence[Alert]) -> None:
        assert self.log is not None and self.sink is not None
        await self.sink.publish(alerts)
        await self.log.mark_published([a.id for a in alerts], self.clock())
        self.status.published += len(alerts)

    def wake(self) -> None:
        """Start a round now (a batch was applied: a deadline may already have passed)."""
        self._wake.set()

    def start(
        self,
        alerts: AlertLog,
        sink: AlertSink | None = None,
        election: Election | None = None,
        horizon: Horizon | None = None,
    ) -> None:
        self.log, self.sink, self.horizon = alerts, sink, horizon
        self._task = asyncio.create_task(self._lead(election) if election else self._work(), name="sla-timer")

    async def stop(self) -> None:
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _work(self) -> None:
        """Works alone (one process): no election."""
        self.status.running = True
        self._leading(True)
        try:
            await self._rounds(None)
        finally:
            self._leading(False)
            self.status.running = False

    async def _lead(self, election: Election) -> None:
        """Campaign, work while leading, and campaign again when leadership is lost; until cancelled."""
        self.status.running = True
        try:
            while True:
                conn = await election.campaign()
                try:
                    self._leading(True)
                    await self._rounds(functools.partial(still_holding, conn))
                except LeadershipLost as exc:
                    log.warning("sla timer: lost leadership (%s); campaigning again", exc)
                except Exception as exc:  # the task lives on: a dead timer raises nothing
                    self.status.last_error = f"leading: {exc!r}"
                    log.exception("sla timer: leading failed; campaigning again")
                    await asyncio.sleep(election.interval)
                finally:
                    self._leading(False)
                    await close(conn)
        finally:
            self.status.running = False

    async def _rounds(self, heartbeat: Heartbeat | None) -> None:
        backoff = 0.0
        while True:
            if heartbeat is not None:
                await heartbeat()  # raises LeadershipLost: stop working at once
            self._wake.clear()
            try:
                await self.round(heartbeat)
                self.status.last_error, backoff = None, 0.0
            except LeadershipLost:
                raise
            except Exception as exc:  # Redis or the database down: try again, never die
                backoff = min(MAX_BACKOFF, max(0.1, backoff * 2))
                self.status.last_error = repr(exc)
                log.warning("sla timer: round failed (%r); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
                await asyncio.sleep(min(WAKE_GAP, self.interval))  # woken: the wakes of a busy projector, coalesced

    def _leading(self, leader: bool) -> None:
        self.status.leader = leader
        self._tell(lambda o: o.leading(leader))

    def _told_raised(self, alert: Alert) -> None:
        self._tell(lambda observer: observer.raised(alert))

    def _tell(self, call: Callable[[AlertObserver], None]) -> None:
        for observer in self.observers:
            try:
                call(observer)
            except Exception:
                log.exception("sla timer: an observer failed")


class WakeOnApply(ProjectionObserver):
    """Wakes the timer after every applied batch: a deadline it set may already have passed."""

    def __init__(self, timer: SlaTimer) -> None:
        self.timer = timer

    def applied(self, events: Sequence[Event], started_at: float, seconds: float) -> None:
        self.timer.wake()
