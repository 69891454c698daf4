"""The running dispatcher: its connections, the Redis consumer group ``WEBHOOKS_GROUP`` on the events stream and
on the service-level alerts stream, the delivery worker, and a poll of the event store.

The events stream only wakes the dispatcher: the events themselves are read from the event store after the
checkpoint, so a trimmed or lost entry loses nothing, and the store is read again every ``WEBHOOKS_POLL_SECONDS``
anyway (also while Redis is down). An alert exists only on its stream, so its entry is acknowledged after its
deliveries are committed; on start this consumer's unacknowledged entries are read again (``0``), and those dead
consumers left are claimed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from ticket_eventstore import stream
from ticket_eventstore.postgres import DatabaseTimeouts, PostgresEventStore, create_pool
from ticket_migrations.postgres import apply
from ticket_privacy.postgres import PostgresKeyStore

from .dispatcher import TRANSIENT
from .endpoints import Endpoints
from .lifecycle import DispatchLifecycle
from .migrations import WEBHOOKS, webhooks_migrations
from .queue import Queue
from .sealing import Sealer
from .settings import WebhooksSettings

log = logging.getLogger("ticket_webhooks")
POOL = 3  # PostgreSQL connections per process, the event store's included (deploy/README.md's budget)
CLAIM_EVERY_ROUNDS = 30  # entries dead replicas left pending are claimed every this many rounds
TIMEOUTS = DatabaseTimeouts(statement=30, lock=10, idle_in_transaction=10, command=60, acquire=10)


class Runtime(DispatchLifecycle[Endpoints, PostgresEventStore]):
    """Built from settings without connecting; :meth:`start` connects and starts the consumer and the worker."""

    def __init__(self, settings: WebhooksSettings, sealer: Sealer) -> None:
        super().__init__(settings, sealer)
        self.pools: list[asyncpg.Pool] = []
        self.redis: aioredis.Redis | None = None
        self.consumer_error: str | None = None
        self._rounds = 0

    async def start(self) -> None:
        s = self.settings
        # Few connections: an attempt holds none while it waits for the endpoint, only to claim and to record.
        shared = s.store_url == s.database_url
        pool = await create_pool(
            s.database_url, max_size=POOL if shared else POOL - 1, timeouts=TIMEOUTS, name="webhooks"
        )
        store_pool = (
            pool if shared else await create_pool(s.store_url, max_size=1, timeouts=TIMEOUTS, name="event_store")
        )
        self.pools = list({id(p): p for p in (pool, store_pool)}.values())
        self._store = PostgresEventStore(store_pool)
        self._endpoints = Endpoints(pool)
        self.privacy.keys = PostgresKeyStore(store_pool)
        self._dispatching(Queue(pool), self._store)
        self.redis = aioredis.from_url(s.redis_url)
        self._run(
            ("webhooks-consumer", self._consume()),
            ("webhooks-worker", self._work()),
            ("webhooks-store-poll", self._poll()),
        )

    async def stop(self) -> None:
        await self._stop_running()
        if self.redis is not None:
            await self.redis.aclose()
        for pool in self.pools:
            await pool.close()

    async def _work(self) -> None:
        await self._until_migrated()
        await self.dispatcher.run()

    async def _poll(self) -> None:
        """Read the store after the checkpoint every ``WEBHOOKS_POLL_SECONDS``, whatever Redis does: events are
        delivered while Redis is down, only later."""
        await self._until_migrated()
        while True:
            await asyncio.sleep(self.settings.webhooks_poll_seconds)
            try:
                await self.dispatcher.catch_up()
            except TRANSIENT as exc:
                log.warning("reading the event store failed, trying again: %s", exc)

    async def _until_migrated(self) -> None:
        delay = 0.1
        while True:
            try:
                async with self.pools[0].acquire() as conn:
                    await apply(conn, WEBHOOKS, webhooks_migrations())
                await self.dispatcher.begin()  # before /ready answers 200: nothing committed after it is missed
                return
            except TRANSIENT as exc:
                log.warning("migrating the webhooks schema failed, trying again: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _consume(self) -> None:
        """Groups, a catch-up from the store, this consumer's pending entries, then new ones; every error retried."""
        await self._until_migrated()
        delay, pending = 0.1, True
        while True:
            try:
                if pending:
                    await self._groups()
                    await self.dispatcher.catch_up()
                pending = await self._round(pending)
                self.consumer_error, delay = None, 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.consumer_error = f"{type(exc).__name__}: {exc}"
                pending = pending or (isinstance(exc, ResponseError) and "NOGROUP" in str(exc))
                log.warning(
                    "consuming failed, trying again in %.1fs: %s",
                    delay,
                    self.consumer_error,
                    exc_info=not isinstance(exc, (*TRANSIENT, ResponseError)),
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _groups(self) -> None:
        assert self.redis is not None
        s = self.settings
        for name, start in ((s.event_stream, "$"), (s.sla_alert_stream, "0")):
            try:
                await self.redis.xgroup_create(name, s.webhooks_group, id=start, mkstream=True)
                log.info("created consumer group %s on %s at %s", s.webhooks_group, name, start)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def _round(self, pending: bool) -> bool:
        """One read of both streams (this consumer's pending entries when ``pending``), handled and acknowledged;
        then the store is read after the checkpoint (the events stream may have lost entries). Returns whether
        pending entries may be left."""
        assert self.redis is not None
        s = self.settings
        start = "0" if pending else ">"
        block = None if pending else int(s.webhooks_poll_seconds * 1000)
        reply: Any = await self.redis.xreadgroup(
            s.webhooks_group,
            s.consumer_name,
            {s.event_stream: start, s.sla_alert_stream: start},
            count=s.batch_size,
            block=block,
        )
        read = _by_stream(reply)
        await self._handle(read)
        self._rounds += 1
        if pending or self._rounds % CLAIM_EVERY_ROUNDS == 0:
            for name in (s.event_stream, s.sla_alert_stream):
                claimed: Any = await self.redis.xautoclaim(
                    name, s.webhooks_group, s.consumer_name, s.claim_idle_ms, start_id="0-0", count=s.batch_size
                )
                await self._handle({name: list(claimed[1])})
        await self.dispatcher.catch_up()
        return pending and any(len(entries) >= s.batch_size for entries in read.values())

    async def _handle(self, entries: dict[str, list[tuple[Any, Any]]]) -> None:
        assert self.redis is not None
        s = self.settings
        events = entries.get(s.event_stream, [])
        if events:
            await self.dispatcher.catch_up(until=max(stream.position_of(entry_id) for entry_id, _ in events))
            await self.redis.xack(s.event_stream, s.webhooks_group, *(entry_id for entry_id, _ in events))
        alerts = entries.get(s.sla_alert_stream, [])
        for entry_id, fields in alerts:
            if fields:
                text = {_str(k): _str(v) for k, v in fields.items()}
                if await self.dispatcher.queue.ingest_alert(_str(entry_id), text):
                    self.dispatcher.wake()
            await self.redis.xack(s.sla_alert_stream, s.webhooks_group, entry_id)

    async def readiness(self) -> dict[str, Any]:
        checkpoint = await self.dispatcher.queue.checkpoint()
        if checkpoint is None:
            raise RuntimeError("starting: the event store's position to deliver from is not taken yet")
        last = await self.store.last_position()
        body = {
            "checkpoint": checkpoint,
            "last_position": last,
            "lag": max(0, last - checkpoint),
            "open_deliveries": await self.dispatcher.queue.open_count(),
        }
        error = self.consumer_error or self.dispatcher.last_error
        if error is not None:
            raise RuntimeError(error)
        return body


def _by_stream(reply: Any) -> dict[str, list[tuple[Any, Any]]]:
    """XREADGROUP's reply by stream name (RESP2 list or RESP3 map)."""
    if not reply:
        return {}
    pairs = reply.items() if isinstance(reply, dict) else reply
    out: dict[str, list[tuple[Any, Any]]] = {}
    for name, value in pairs:
        entries = value[0] if isinstance(reply, dict) else value
        out[_str(name)] = list(entries)
    return out


def _str(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
