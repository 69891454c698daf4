"""The Redis stream transport: entries of the consumer group are decoded, projected, then acknowledged.

An entry is acknowledged only after its effect (or the proof that it was already applied) is committed. A crash
in between leaves it pending; on start ``resume_pending`` re-reads this consumer's pending entries (and claims
those abandoned by dead consumers), and the checkpoint turns each into a no-op. The group is created at the
checkpoint before FastStream starts, which would otherwise create it at ``$`` and miss the backlog.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from ticket_eventstore import stream
from ticket_workflow.ports import StoreUnavailable

from .projector import ProjectionHalted, Projector

log = logging.getLogger("ticket_projector.consumer")

TRANSIENT = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, StoreUnavailable, RedisError)


class StreamConsumer:
    def __init__(
        self,
        redis: aioredis.Redis,
        projector: Projector,
        *,
        stream_name: str,
        group: str,
        consumer: str,
        claim_idle_ms: int = 60_000,
        max_backoff: float = 5.0,
    ) -> None:
        self.redis = redis
        self.projector = projector
        self.stream = stream_name
        self.group = group
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self.max_backoff = max_backoff
        self.last_error: str | None = None

    async def ensure_group(self) -> None:
        """Create the group at the checkpoint (the start of the stream for a new read model) unless it exists."""
        checkpoint = await self.projector.read_model.checkpoint()
        start = stream.entry_id(checkpoint) if checkpoint else "0"
        try:
            await self.redis.xgroup_create(self.stream, self.group, id=start, mkstream=True)
            log.info("created consumer group %s on %s at %s", self.group, self.stream, start)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def process(self, entry_id: str | bytes, fields: Mapping[Any, Any] | None) -> bool:
        """Project one entry; True when it may be acknowledged, False when the projector is halted."""
        if self.projector.halt is not None:
            return False
        try:
            if not fields:
                # Deleted from the stream after delivery: the event store still has it.
                await self.retrying(lambda: self.projector.catch_up(until=stream.position_of(entry_id)))
                return True
            try:
                event = stream.decode(fields)
            except ValueError as exc:
                log.warning("undecodable entry %r (%s): reading its position from the event store", entry_id, exc)
                await self.retrying(lambda: self.projector.catch_up(until=stream.position_of(entry_id)))
                return True
            await self.retrying(lambda: self.projector.handle(event))
            return True
        except ProjectionHalted:
            return False

    async def ack(self, entry_id: str | bytes) -> None:
        await self.redis.xack(self.stream, self.group, entry_id)

    async def resume_pending(self) -> int:
        """Finish what this consumer read but never acknowledged, then what dead consumers left; returns a count."""
        done = 0
        while True:
            reply: Any = await self.redis.xreadgroup(self.group, self.consumer, {self.stream: "0"}, count=100)
            entries = _entries(reply)
            if not entries:
                break
            for entry_id, fields in entries:
                if not await self.process(entry_id, fields):
                    return done
                await self.ack(entry_id)
                done += 1
        return done + await self.reclaim()

    async def reclaim(self) -> int:
        """Claim entries other consumers left pending longer than ``claim_idle_ms`` and finish them."""
        done, start = 0, "0-0"
        while True:
            reply: Any = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, self.claim_idle_ms, start_id=start, count=100
            )
            start, entries = reply[0], reply[1]
            for entry_id, fields in entries:
                if not await self.process(entry_id, fields):
                    return done
                await self.ack(entry_id)
                done += 1
            if start in ("0-0", b"0-0"):
                return done

    async def retrying(self, work: Callable[[], Awaitable[Any]]) -> None:
        """Retry ``work`` through transient failures (database or network down) with a capped backoff."""
        delay = 0.1
        while True:
            try:
                await work()
                self.last_error = None
                return
            except TRANSIENT as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("projection failed transiently, retrying in %.1fs: %s", delay, self.last_error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)


def _entries(reply: Any) -> list[tuple[Any, Any]]:
    """Entries of an XREADGROUP reply on one stream (RESP2 list or RESP3 map)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return list(next(iter(reply.values()))[0]) if reply else []
    return list(reply[0][1])
