"""The dispatcher's core, whatever wakes it: the event store's events after the checkpoint become deliveries
(:meth:`Dispatcher.catch_up`), and a worker attempts the due ones, many at once but one at a time per ticket and
endpoint, signed, with retries on the configured schedule (:meth:`Dispatcher.run`).

Every state is in the database (PostgreSQL: :mod:`ticket_webhooks.queue`; the embedded mode's SQLite file:
:mod:`ticket_webhooks.sqlite_queue`), none only in memory: a restart loses nothing and
sends again only attempts whose outcome was not recorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import asyncpg
from redis.exceptions import RedisError

from ticket_workflow import Event
from ticket_workflow.ports import StoreUnavailable

from . import payload, signing
from .backoff import retry_delay
from .ports import DeliveryQueue
from .queue import Claimed, Outcome, Policy
from .sealing import Sealer
from .sender import Sender

log = logging.getLogger("ticket_webhooks.dispatcher")
TRANSIENT = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    sqlite3.OperationalError,
    StoreUnavailable,
    RedisError,
)


class EventReader(Protocol):
    async def read_all(self, after_position: int = 0, limit: int = 500) -> list[Event]: ...

    async def last_position(self) -> int: ...


class DispatchObserver(Protocol):
    def attempted(self, claimed: Claimed, outcome: Outcome, status: str) -> None: ...


class Dispatcher:
    def __init__(
        self,
        queue: DeliveryQueue,
        store: EventReader,
        sealer: Sealer,
        sender: Sender,
        *,
        schedule: Sequence[float],
        policy: Policy,
        concurrency: int = 16,
        poll_seconds: float = 1.0,
        batch_size: int = 500,
    ) -> None:
        self.queue, self.store, self.sealer, self.sender = queue, store, sealer, sender
        self.schedule, self.policy = tuple(schedule), policy
        self.concurrency, self.poll_seconds, self.batch_size = concurrency, poll_seconds, batch_size
        self.observers: list[DispatchObserver] = []
        self.last_error: str | None = None
        self._wake = asyncio.Event()
        self._ingesting = asyncio.Lock()

    def wake(self) -> None:
        self._wake.set()

    async def begin(self) -> int:
        """The checkpoint; on the very first start, the store's last position: what is committed after it is this
        dispatcher's to deliver, whatever happens to the process or to Redis from then on."""
        checkpoint = await self.queue.checkpoint()
        if checkpoint is None:
            await self.queue.start_at(await self.store.last_position())
            checkpoint = await self.queue.checkpoint() or 0
        return checkpoint

    async def catch_up(self, until: int | None = None) -> int:
        """Turn the store's events after the checkpoint (up to ``until``) into deliveries; returns how many."""
        async with self._ingesting:
            checkpoint = await self.begin()
            queued = 0
            while until is None or checkpoint < until:
                events = await self.store.read_all(checkpoint, self.batch_size)
                if until is not None:
                    events = [e for e in events if (e.position or 0) <= until]
                if not events:
                    break
                checkpoint = events[-1].position or checkpoint
                queued += await self.queue.ingest_events(events, checkpoint)
        if queued:
            self.wake()
        return queued

    async def run(self) -> None:
        """Attempt due deliveries until cancelled, at most ``concurrency`` at once."""
        running: set[asyncio.Task[None]] = set()
        delay = 0.1
        try:
            while True:
                self._wake.clear()
                try:
                    lease = self.sender.timeout + 5.0
                    claimed = await self.queue.claim(self.concurrency - len(running), lease)
                    self.last_error, delay = None, 0.1
                except TRANSIENT as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("claiming deliveries failed, trying again in %.1fs: %s", delay, self.last_error)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                for delivery in claimed:
                    task = asyncio.create_task(self._attempt(delivery), name=f"delivery-{delivery.seq}")
                    running.add(task)
                    task.add_done_callback(self._done(running))
                if not claimed or len(running) >= self.concurrency:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.poll_seconds):
                            await self._wake.wait()
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    def _done(self, running: set[asyncio.Task[None]]) -> Callable[[asyncio.Task[None]], None]:
        def done(task: asyncio.Task[None]) -> None:
            running.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error("a delivery attempt failed unexpectedly", exc_info=task.exception())
            self.wake()

        return done

    async def _attempt(self, claimed: Claimed) -> None:
        try:
            body = await self.body_of(claimed)
            secret = self.sealer.open(claimed.secret, claimed.endpoint_id)
        except (LookupError, ValueError) as exc:
            outcome = Outcome(False, None, None, f"not sent: {exc}")
        else:
            timestamp = int(time.time())
            headers = signing.headers(secret, claimed.message_id, timestamp, body)
            outcome = await self.sender.send(claimed.url, headers, body)
        retry_in = None if outcome.delivered else retry_delay(claimed.attempts + 1, self.schedule)
        status = "delivered" if outcome.delivered else ("retrying" if retry_in is not None else "failed")
        delay = 0.1
        while True:
            try:
                disabled = await self.queue.record(claimed, outcome, retry_in, self.policy)
                break
            except TRANSIENT as exc:  # the lease would expire and the delivery be sent again: keep trying
                log.warning("recording delivery %d failed, trying again: %s", claimed.seq, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        log.info(
            "delivery %s to endpoint %s: %s",
            claimed.message_id,
            claimed.endpoint_id,
            status,
            extra={
                "attempt": claimed.attempts + 1,
                "http_status": outcome.http_status,
                "latency_ms": outcome.latency_ms,
                "position": claimed.position,
            },
        )
        if disabled is not None:
            log.warning("endpoint %s disabled: %s", claimed.endpoint_id, disabled)
        for observer in self.observers:
            observer.attempted(claimed, outcome, status)

    async def body_of(self, claimed: Claimed) -> bytes:
        """The signed body of a delivery: an event is read from the store now (so that what is sent is what the
        store holds at send time), an alert is the fields it was published with."""
        if claimed.position is not None:
            events = await self.store.read_all(claimed.position - 1, 1)
            if not events or events[0].position != claimed.position:
                raise LookupError(f"no event at position {claimed.position} in the store")
            event = events[0]
            return payload.body(event.type, event.timestamp, payload.event_data(event))
        alert = claimed.alert or {}
        return payload.body(claimed.event_type, str(alert.get("raised_at") or ""), payload.alert_data(alert))
