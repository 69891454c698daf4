"""The running projector: its connections, the Redis consumer under FastStream, a supervisor, and what ``/ready``
reports.

Redis is only a transport, so the supervisor does not trust it to deliver everything: every
``SUPERVISE_SECONDS`` it
- resubscribes when FastStream has stopped the subscriber (it does so for good when the stream or the consumer
  group disappears, e.g. Redis restarted empty), after recreating the group at the checkpoint;
- catches up from the event store when the checkpoint has not moved for a whole round although the store was
  already ahead at the start of it (the last entries were lost, and no later entry arrives to reveal the gap);
- claims entries that dead replicas left pending;
- resumes a halted projector once the checkpoint has passed the poison event (an operator skipped it, or a
  rebuild applied it), and retries the event once its recorded halt is gone (an operator asked for a retry).

``wake()`` starts a round at once: the replica that took an operator's request acts on it without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from faststream.middlewares import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.annotations import RedisBatchStreamMessage

from ticket_eventstore.postgres import DatabaseTimeouts, PostgresEventStore, create_pool
from ticket_privacy import Privacy, key_encryption_key
from ticket_privacy.postgres import PostgresKeyStore
from ticket_readmodel.postgres import PostgresReadModel
from ticket_workflow.ports import StoreUnavailable

from .consumer import TRANSIENT, StreamConsumer
from .projector import ProjectionHalted, ProjectionObserver, Projector
from .readiness import halted_body, not_ready
from .rebuilds import PostgresRebuilder
from .settings import ProjectorSettings

log = logging.getLogger("ticket_projector")

# A replica frozen inside its batch transaction holds the checkpoint row locked: the server ends its session
# after ``idle_in_transaction`` seconds and another replica carries on. Batches are short; bounds are generous.
TIMEOUTS = DatabaseTimeouts(statement=30, lock=10, idle_in_transaction=10, command=60, acquire=10)


@dataclass
class Connections:
    """What a running projector holds open, made in one place (:meth:`open`) and closed in one (:meth:`close`)."""

    pools: list[asyncpg.Pool]
    read_model: PostgresReadModel
    store: PostgresEventStore
    projector: Projector
    redis: aioredis.Redis
    consumer: StreamConsumer
    store_pool: asyncpg.Pool

    @classmethod
    async def open(
        cls, s: ProjectorSettings, observers: list[ProjectionObserver] | None = None, privacy: Privacy | None = None
    ) -> Connections:
        # Projecting leaves no session state behind (transaction-scoped work only; the migration resets what it
        # sets): a connection goes back to the pool without asyncpg's reset query, a round trip less per batch.
        pool = await create_pool(s.database_url, max_size=4, timeouts=TIMEOUTS, reset_sessions=False, name="read_model")
        store_pool = (
            pool
            if s.store_url == s.database_url
            else await create_pool(s.store_url, max_size=2, timeouts=TIMEOUTS, reset_sessions=False, name="event_store")
        )
        read_model = PostgresReadModel(pool, s.read_model_schema)
        store = PostgresEventStore(store_pool)
        projector = Projector(
            read_model, store, batch_size=s.batch_size, attempts=s.poison_attempts, retry_delay=s.retry_delay_seconds
        )
        projector.observers = observers if observers is not None else []
        if privacy is not None:  # personal values are opened before projecting
            privacy.keys = PostgresKeyStore(store_pool)
            projector.privacy = privacy
        redis = aioredis.from_url(s.redis_url)
        consumer = StreamConsumer(
            redis,
            projector,
            stream_name=s.event_stream,
            group=s.projector_group,
            consumer=s.consumer_name,
            claim_idle_ms=s.claim_idle_ms,
            batch_size=s.batch_size,
        )
        pools = list({id(p): p for p in (pool, store_pool)}.values())
        return cls(pools, read_model, store, projector, redis, consumer, store_pool)

    async def close(self) -> None:
        await self.redis.aclose()
        for pool in self.pools:
            await pool.close()


class Runtime:
    """Everything ``ticket-projector run`` starts, in order: catch up, resume pending entries, consume, supervise.

    Built from settings without connecting; :meth:`start` opens the :class:`Connections` and starts the task,
    :meth:`stop` ends both."""

    def __init__(self, settings: ProjectorSettings) -> None:
        self.settings = settings
        self.consuming = False
        self.supervisor_error: str | None = None
        self._open: Connections | None = None
        self._task: asyncio.Task[None] | None = None
        self._previous_round: tuple[int, int] | None = None  # (checkpoint, store position) a round ago
        self.broker: RedisBroker | None = None
        self._subscriber: Any = None
        self.observers: list[ProjectionObserver] = []  # handed to the projector when it starts
        self.rebuilder: PostgresRebuilder | None = None
        self._wake = asyncio.Event()
        self.retry_asked = False  # here: retry even if the halt could not be recorded
        self.privacy = Privacy(key_encryption_key(debug=settings.debug))  # refuses to build without a key

    @property
    def connections(self) -> Connections:
        if self._open is None:
            raise StoreUnavailable("the projector has not started")
        return self._open

    @property
    def read_model(self) -> PostgresReadModel:
        return self.connections.read_model

    @property
    def store(self) -> PostgresEventStore:
        return self.connections.store

    @property
    def projector(self) -> Projector:
        return self.connections.projector

    @property
    def consumer(self) -> StreamConsumer:
        return self.connections.consumer

    async def start(self) -> None:
        self._open = await Connections.open(self.settings, self.observers, self.privacy)
        self.rebuilder = PostgresRebuilder.of(self._open.pools[0], self.settings)
        self._task = asyncio.create_task(self._run(), name="projector")

    async def stop(self) -> None:
        if self.rebuilder is not None:
            await self.rebuilder.stop()
        if self._task is not None:
            # Cancel until the task is really over: a cancellation that lands while FastStream's broker is
            # starting can be swallowed there, and the task would carry on with its next round.
            while not self._task.done():
                self._task.cancel()
                await asyncio.wait({self._task}, timeout=1.0)
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._stop_broker()
        if self._open is not None:
            await self._open.close()

    def _broker(self) -> RedisBroker:
        s = self.settings
        broker = RedisBroker(s.redis_url, logger=log)
        sub = StreamSub(
            s.event_stream, group=s.projector_group, consumer=s.consumer_name, batch=True, max_records=s.batch_size
        )
        subscriber = broker.subscriber(stream=sub, ack_policy=AckPolicy.MANUAL)

        @subscriber
        async def on_entries(message: RedisBatchStreamMessage) -> None:
            raw = message.raw_message
            entries = list(zip(raw["message_ids"], raw["data"], strict=True))
            await self.consumer.ack(await self.consumer.process(entries))

        self._subscriber = subscriber
        return broker

    async def _run(self) -> None:
        """Subscribe, then supervise, until cancelled. Every error is retried, the first subscribe and
        ``broker.start()`` included: the task ending would leave a process that answers but projects nothing."""
        subscribed = False
        delay = 0.1
        while True:
            try:
                if not subscribed:
                    await self.consumer.retrying(self.read_model.migrate)
                    await self._subscribe()
                    subscribed = True
                else:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.settings.supervise_seconds):
                            await self._wake.wait()
                    self._wake.clear()
                    await self.supervise()
                self.supervisor_error = None
                delay = 0.1
            except Exception as exc:
                self.supervisor_error = f"{type(exc).__name__}: {exc}"
                unexpected = not isinstance(exc, TRANSIENT)
                log.warning("supervision failed, trying again: %s", self.supervisor_error, exc_info=unexpected)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.settings.supervise_seconds)

    def alive(self) -> bool:
        """False once the consuming task has ended (it only ends when cancelled at shutdown), or before start."""
        return self._task is not None and not self._task.done()

    def ended(self) -> bool:
        """The consuming task was started and has ended: the process should be restarted."""
        return self._task is not None and self._task.done()

    async def _subscribe(self) -> None:
        """Group at the checkpoint, catch up from the store, finish pending entries, then consume new ones."""
        await self.consumer.retrying(self.consumer.ensure_group)
        try:
            await self.consumer.retrying(self.projector.catch_up)
            await self.consumer.retrying(self.consumer.resume_pending)
        except ProjectionHalted:
            return
        if self.projector.halt is not None:
            return
        await self._stop_broker()
        self.broker = self._broker()
        await self.broker.start()
        self.consuming = True
        log.info(
            "consuming %s as %s/%s",
            self.settings.event_stream,
            self.settings.projector_group,
            self.settings.consumer_name,
        )

    async def _stop_broker(self) -> None:
        self.consuming = False
        if self.broker is not None:
            broker, self.broker = self.broker, None
            await broker.stop()

    async def supervise(self) -> None:
        """One round of the supervisor (see the module's docstring)."""
        checkpoint = await self.read_model.checkpoint()
        halt = self.projector.halt
        if halt is not None:
            # An operator's retry clears the recorded halt; a skip or a rebuild moves the checkpoint past it.
            retry = self.retry_asked or (self.projector.halt_recorded and await self.read_model.recorded_halt() is None)
            if checkpoint < halt.position and not retry:
                return
            log.warning("resuming after the halt at %d: retried, skipped or rebuilt", halt.position)
            self.retry_asked = False
            self.projector.halt = None
            await self._subscribe()
            return
        if not self._subscribed():
            log.warning("the stream subscriber is not running (stream or group lost?): subscribing again")
            await self._subscribe()
            return
        last = await self.store.last_position()
        if self._stalled(checkpoint):
            log.warning(
                "no progress at position %d for a round while the store is at %d: catching up from the store",
                checkpoint,
                last,
            )
            with contextlib.suppress(ProjectionHalted):
                await self.projector.catch_up(until=last)
        self._previous_round = (checkpoint, last)
        with contextlib.suppress(ProjectionHalted):
            await self.consumer.reclaim()

    def wake(self, *, retry: bool = False) -> None:
        """Start a supervisor round now (``retry``: try the halted event again, whatever the database says)."""
        self.retry_asked = self.retry_asked or retry
        self._wake.set()

    def _stalled(self, checkpoint: int) -> bool:
        """The store was ahead a round ago and nothing has been applied since: the stream is not delivering."""
        if self._previous_round is None:
            return False
        before, store_before = self._previous_round
        return checkpoint == before < store_before

    def _subscribed(self) -> bool:
        return self.consuming and self._subscriber is not None and bool(self._subscriber.running)

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        body: dict[str, Any] = {"consumer": self.settings.consumer_name, "group": self.settings.projector_group}
        try:
            checkpoint = await self.read_model.checkpoint()
            last = await self.store.last_position()
            recorded = await self.read_model.recorded_halt()
        except Exception as exc:
            return False, not_ready(body, "unavailable", f"{type(exc).__name__}: {exc}")
        body |= {"checkpoint": checkpoint, "last_position": last, "lag": max(0, last - checkpoint)}
        halt = self.projector.halt or recorded
        if halt is not None:
            return False, halted_body(body, halt, retrying=self.projector.halt is None)
        error = self.consumer.last_error or self.supervisor_error
        if error is not None:
            return False, not_ready(body, "retrying", error)
        if self._task is not None and self._task.done() and not self._task.cancelled():
            return False, not_ready(body, "stopped", repr(self._task.exception()))
        if not self._subscribed():
            return False, not_ready(body, "starting", "catching up and finishing pending entries before consuming")
        return True, body | {"status": "ready"}
