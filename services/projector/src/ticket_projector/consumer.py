"""The Redis stream transport: entries of the consumer group are decoded, projected, then acknowledged, a batch
at a time (one transaction and one XACK per batch).

An entry is acknowledged only after its effect (or the proof that it was already applied) is committed. A crash
in between leaves it pending; on start ``resume_pending`` re-reads this consumer's pending entries (and claims
those abandoned by dead consumers), and the checkpoint turns each into a no-op. The group is created at the
checkpoint before FastStream starts, which would otherwise create it at ``$`` and miss the backlog.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
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
        batch_size: int = 500,
        max_backoff: float = 5.0,
    ) -> None:
        self.redis = redis
        self.projector = projector
        self.stream = stream_name
        self.group = group
        self.consumer = consumer
        self.claim_idle_ms = claim_idle_ms
        self.batch_size = batch_size
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

    async def process(self, entries: Sequence[tuple[Any, Any]]) -> list[Any]:
        """Project a batch of ``(entry id, fields)``; returns the ids that may be acknowledged: all of them, those
        before the poison event when the projector halts on one, none while it is halted."""
        if self.projector.halt is not None:
            return []
        events, until = [], 0
        for entry_id, fields in entries:
            until = max(until, stream.position_of(entry_id))
            if not fields:
                continue  # deleted from the stream after delivery: the event store still has it
            try:
                events.append(stream.decode(fields))
            except ValueError as exc:
                log.warning("undecodable entry %r (%s): reading its position from the event store", entry_id, exc)
        try:
            await self.retrying(lambda: self.projector.deliver(events, until=until))
        except ProjectionHalted as halted:
            return [entry_id for entry_id, _ in entries if stream.position_of(entry_id) < halted.halt.position]
        return [entry_id for entry_id, _ in entries]

    async def ack(self, entry_ids: Sequence[Any]) -> None:
        if entry_ids:
            await self.redis.xack(self.stream, self.group, *entry_ids)

    async def resume_pending(self) -> int:
        """Finish what this consumer read but never acknowledged, then what dead consumers left; returns a count."""
        done = 0
        while True:
            reply: Any = await self.redis.xreadgroup(
                self.group, self.consumer, {self.stream: "0"}, count=self.batch_size
            )
            entries = _entries(reply)
            if not entries:
                break
            acked = await self.process(entries)
            await self.ack(acked)
            done += len(acked)
            if len(acked) < len(entries):
                return done
        return done + await self.reclaim()

    async def reclaim(self) -> int:
        """Claim entries other consumers left pending longer than ``claim_idle_ms`` and finish them."""
        done, start = 0, "0-0"
        while True:
            reply: Any = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, self.claim_idle_ms, start_id=start, count=self.batch_size
            )
            start, entries = reply[0], reply[1]
            if entries:
                acked = await self.process(entries)
                await self.ack(acked)
                done += len(acked)
                if len(acked) < len(entries):
                    return done
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
