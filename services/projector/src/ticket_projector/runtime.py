"""The running projector: pools, the Redis consumer under FastStream, and what ``/ready`` reports."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from faststream.middlewares import AckPolicy
from faststream.redis import RedisBroker, StreamSub
from faststream.redis.annotations import RedisStreamMessage

from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_readmodel.postgres import PostgresReadModel

from .consumer import StreamConsumer
from .projector import ProjectionHalted, Projector
from .settings import ProjectorSettings

log = logging.getLogger("ticket_projector")


class Runtime:
    """Everything ``ticket-projector run`` starts, in order: catch up, resume pending entries, consume."""

    def __init__(self, settings: ProjectorSettings) -> None:
        self.settings = settings
        self.consuming = False
        self._pools: list[asyncpg.Pool] = []
        self._task: asyncio.Task[None] | None = None
        self.broker: RedisBroker | None = None

    async def start(self) -> None:
        s = self.settings
        pool = await create_pool(s.database_url, max_size=4)
        store_pool = pool if s.store_url == s.database_url else await create_pool(s.store_url, max_size=2)
        self._pools = list({id(p): p for p in (pool, store_pool)}.values())
        self.read_model = PostgresReadModel(pool, s.read_model_schema)
        self.store = PostgresEventStore(store_pool)
        self.projector = Projector(
            self.read_model,
            self.store,
            batch_size=s.batch_size,
            attempts=s.poison_attempts,
            retry_delay=s.retry_delay_seconds,
        )
        self.redis = aioredis.from_url(s.redis_url)
        self.consumer = StreamConsumer(
            self.redis,
            self.projector,
            stream_name=s.event_stream,
            group=s.projector_group,
            consumer=s.consumer_name,
            claim_idle_ms=s.claim_idle_ms,
        )
        self.broker = self._broker()
        self._task = asyncio.create_task(self._run(), name="projector")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.broker is not None:
            await self.broker.stop()
        await self.redis.aclose()
        for pool in self._pools:
            await pool.close()

    def _broker(self) -> RedisBroker:
        s = self.settings
        broker = RedisBroker(s.redis_url, logger=log)
        sub = StreamSub(s.event_stream, group=s.projector_group, consumer=s.consumer_name)

        @broker.subscriber(stream=sub, ack_policy=AckPolicy.MANUAL)
        async def on_entry(message: RedisStreamMessage) -> None:
            [entry_id] = message.raw_message["message_ids"]
            if await self.consumer.process(entry_id, message.raw_message["data"]):
                await message.ack()

        return broker

    async def _run(self) -> None:
        try:
            await self.read_model.migrate()
            await self.consumer.ensure_group()
            await self.consumer._until_done(self.projector.catch_up)
            await self.consumer.resume_pending()
            if self.projector.halt is not None:
                return
            assert self.broker is not None
            await self.broker.start()
            self.consuming = True
            log.info(
                "consuming %s as %s/%s",
                self.settings.event_stream,
                self.settings.projector_group,
                self.settings.consumer_name,
            )
            while True:
                await asyncio.sleep(self.settings.claim_idle_ms / 1000)
                await self.consumer.reclaim()
        except ProjectionHalted:
            return
        except Exception:
            log.exception("the projector stopped")
            raise

    async def readiness(self) -> tuple[bool, dict[str, Any]]:
        body: dict[str, Any] = {"consumer": self.settings.consumer_name, "group": self.settings.projector_group}
        try:
            checkpoint = await self.read_model.checkpoint()
            last = await self.store.last_position()
        except Exception as exc:
            return False, body | {"status": "unavailable", "error": f"{type(exc).__name__}: {exc}"}
        body |= {"checkpoint": checkpoint, "last_position": last, "lag": max(0, last - checkpoint)}
        halt = self.projector.halt
        if halt is not None:
            poison = {
                "position": halt.position,
                "reason": halt.reason,
                "event_type": halt.event_type,
                "ticket_id": halt.ticket_id,
            }
            return False, body | {"status": "halted", "poison_event": poison}
        if self.consumer.last_error is not None:
            return False, body | {"status": "retrying", "error": self.consumer.last_error}
        if self._task is not None and self._task.done() and not self._task.cancelled():
            return False, body | {"status": "stopped", "error": repr(self._task.exception())}
        if not self.consuming:
            return False, body | {"status": "starting"}
        return True, body | {"status": "ready"}
