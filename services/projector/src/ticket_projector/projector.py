"""The projector: applies stored events to the read model exactly once and in order, whatever delivers them.

- Each transaction locks the checkpoint, skips events at or below it, applies the rest, advances it: the read
  model and the checkpoint change together or not at all.
- An event whose predecessors were never applied (entries trimmed or lost in transport) first triggers a
  catch-up of the missing range straight from the event store; while the store does not return the range up to
  the delivered event, nothing is applied and the delivery is retried (``StoreBehind``).
- An event the projection cannot apply (a poison event) is retried, then the projector halts at its position:
  it never skips it. ``halt`` says where and why, and the read model records it, so that it is still reported
  after a restart until the event is finally applied; an operator fixes the cause and retries, or skips the
  event (:mod:`ticket_projector.operations`), or rebuilds.
- Positions in ``skipped`` (events an operator skipped) are passed over: the checkpoint moves past them.

No transport here: the Redis consumer (``consumer``), the rebuild and the embedded mode all call ``handle`` /
``apply`` / ``catch_up``. What happens is told to ``observers`` (:class:`ProjectionObserver`): metrics, logs and
traces each subscribe without the projector knowing them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime

from ticket_readmodel.projection import Effects, ProjectionError, project_all
from ticket_readmodel.read_model import Halt, ReadModel
from ticket_workflow import Event
from ticket_workflow.ports import EventStore, StoreUnavailable

from . import erasure

log = logging.getLogger("ticket_projector")


__all__ = ["Halt", "ProjectionHalted", "ProjectionObserver", "Projector", "StoreBehind"]


class ProjectionObserver:
    """Told what the projector did; every method is a no-op here, an observer overrides what it needs.

    Called on the projector's task, after the fact: an observer must be quick and must not raise."""

    def applied(self, events: Sequence[Event], started_at: float, seconds: float) -> None:
        """A batch committed: ``events`` in position order, the transaction began at ``started_at`` (time.time())
        and took ``seconds``."""

    def catching_up(self, after: int, until: int) -> None:
        """Delivered events revealed a gap: positions after ``after`` up to ``until`` are read from the store."""

    def retried(self, position: int, attempt: int) -> None:
        """The event at ``position`` failed to apply and is tried again (``attempt`` counts from 2)."""

    def halted(self, halt: Halt) -> None:
        """The projection halted on a poison event."""


class StoreBehind(StoreUnavailable):
    """The event store does not hold events the stream delivered yet: retried, like a store that is down."""


class ProjectionHalted(Exception):
    def __init__(self, halt: Halt) -> None:
        super().__init__(f"projection halted at position {halt.position}: {halt.reason}")
        self.halt = halt


class Projector:
    def __init__(
        self,
        read_model: ReadModel,
        store: EventStore | None = None,
        *,
        batch_size: int = 500,
        attempts: int = 3,
        retry_delay: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.read_model = read_model
        self.store = store
        self.batch_size = batch_size
        self.attempts = max(1, attempts)
        self.retry_delay = retry_delay
        self._sleep = sleep
        self.halt: Halt | None = None
        self.halt_recorded = False  # the read model holds ``halt``: its disappearance asks for a retry
        self.skipped: frozenset[int] = frozenset()
        self.observers: list[ProjectionObserver] = []
        self.privacy: erasure.Opener | None = None  # opens personal values before projecting (ticket_privacy)

    async def apply(self, events: Iterable[Event]) -> int:
        """Project stored events in-process (the embedded mode calls this right after each append).

        Events already applied are skipped, missing predecessors are read from the store. Returns the checkpoint.
        """
        ordered = sorted(events, key=_position)
        for start in range(0, len(ordered), self.batch_size):
            await self.deliver(ordered[start : start + self.batch_size])
        return await self.read_model.checkpoint()

    async def handle(self, event: Event) -> bool:
        """Apply one delivered event; False when it was already applied (a duplicate delivery)."""
        return await self.deliver([event])

    async def deliver(self, events: Sequence[Event], *, until: int = 0) -> bool:
        """Apply delivered events, in order, in one transaction; False when all of them were already applied.

        ``until`` is the last position the delivery stands for: an entry that was deleted or cannot be decoded
        still names its position. Whatever is missing up to there, before or between the events, is read from the
        event store first.
        """
        self._ensure_running()
        checkpoint = await self.read_model.checkpoint()
        fresh = _in_order(events, after=checkpoint)
        last = max(until, _position(fresh[-1]) if fresh else 0)
        if last <= checkpoint:
            return False
        if self.store is not None and len(fresh) < last - checkpoint:
            log.info("gap between positions %d and %d: catching up from the event store", checkpoint, last)
            for observer in self.observers:
                observer.catching_up(checkpoint, last)
            checkpoint = await self.catch_up(until=last)
            if checkpoint < last:
                # The delivered events come from the store, so a store that does not return them yet (a lagging
                # replica, a stream from another store) may lack the missing ones too: wait, never skip them.
                raise StoreBehind(f"the event store returned events up to {checkpoint}, not up to {last}")
            fresh = [e for e in fresh if _position(e) > checkpoint]
        if fresh:
            await self._apply(fresh)
        return True

    async def catch_up(self, until: int | None = None) -> int:
        """Apply what the event store holds beyond the checkpoint (up to ``until``); returns the checkpoint."""
        if self.store is None:
            raise RuntimeError("catching up needs an event store")
        while True:
            self._ensure_running()
            checkpoint = await self.read_model.checkpoint()
            if until is not None and checkpoint >= until:
                return checkpoint
            batch = await self.store.read_all(checkpoint, self.batch_size)
            if until is not None:
                batch = [e for e in batch if _position(e) <= until]
            if not batch:
                return checkpoint
            await self._apply(batch)

    async def _apply(self, events: Sequence[Event]) -> None:
        try:
            await self._commit(events)
            return
        except ProjectionError as exc:
            failure = exc
        before = [e for e in events if _position(e) < failure.position]
        if before:
            await self._apply(before)
        poison = next(e for e in events if _position(e) == failure.position)
        await self._retry_or_halt(poison, failure)
        rest = [e for e in events if _position(e) > failure.position]
        if rest:
            await self._apply(rest)

    async def _commit(self, events: Sequence[Event]) -> int:
        """One transaction: lock the checkpoint, load every ticket the new events touch, project them in memory,
        write the result in bulk and advance the checkpoint once."""
        started_at, clock = time.time(), time.perf_counter()
        rewrites: dict[str, list[Effects]] = {}
        if self.privacy is not None:  # before the transaction: the embedded store and read model share one lock
            events = await erasure.opened(self.privacy, events)
            if self.store is not None and erasure.erasures(events):
                last = max(_position(e) for e in events)
                rewrites = await erasure.reprojections(self.store, self.privacy, events, last)
        async with self.read_model.transaction() as tx:
            checkpoint = await tx.checkpoint()
            fresh = _in_order(events, after=checkpoint)
            if not fresh:
                return checkpoint
            kept = [e for e in fresh if _position(e) not in self.skipped] if self.skipped else fresh
            effects = project_all(kept, await tx.tickets({e.stream_id for e in kept}))
            await tx.write(effects)
            await erasure.rewrite(tx, effects.system, rewrites)
            await tx.advance(_position(fresh[-1]))
        seconds = time.perf_counter() - clock
        for observer in self.observers:
            observer.applied(fresh, started_at, seconds)
        return _position(fresh[-1])

    async def _retry_or_halt(self, event: Event, failure: ProjectionError) -> None:
        for attempt in range(2, self.attempts + 1):
            await self._sleep(self.retry_delay)
            log.warning("retrying event at position %d (attempt %d of %d)", failure.position, attempt, self.attempts)
            for observer in self.observers:
                observer.retried(failure.position, attempt)
            try:
                await self._commit([event])
                return
            except ProjectionError as exc:
                failure = exc
        self.halt = Halt(
            position=failure.position,
            reason=failure.reason,
            event_type=event.type,
            ticket_id=event.stream_id,
            halted_at=datetime.now(UTC),
        )
        await self._record(self.halt)
        for observer in self.observers:
            observer.halted(self.halt)
        log.error(
            "projection HALTED at position %d (%s of ticket %s): %s; nothing after it is applied until the cause "
            "is fixed (then retry, skip it, or rebuild)",
            failure.position,
            event.type,
            event.stream_id,
            failure.reason,
            extra={"position": failure.position, "event_type": event.type, "ticket_id": event.stream_id},
        )
        raise ProjectionHalted(self.halt)

    async def _record(self, halt: Halt) -> None:
        self.halt_recorded = False
        try:
            await self.read_model.record_halt(halt)
            self.halt_recorded = True
        except Exception:  # the halt stands in memory and in the log even when it cannot be recorded
            log.exception("could not record the halt at position %d in the read model", halt.position)

    def _ensure_running(self) -> None:
        if self.halt is not None:
            raise ProjectionHalted(self.halt)


def _position(event: Event) -> int:
    if event.position is None:
        raise ValueError(f"event {event.id} has no global position: only stored events are projected")
    return event.position


def _in_order(events: Iterable[Event], *, after: int) -> list[Event]:
    """The events above ``after``, by position, each position once (a batch may carry duplicates)."""
    unique = {_position(e): e for e in events if _position(e) > after}
    return [unique[p] for p in sorted(unique)]
