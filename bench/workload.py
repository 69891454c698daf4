"""The workload: writers running ticket commands, and one reader following the log as the relay does.

A command loads the ticket's version, then appends one event at expected_version + 1. Each writer owns its own
tickets, so every append succeeds: what is measured is the cost of ordering commits, not of conflicts. The reader
polls ``read_after`` (every millisecond when idle) and notes when it can first read each event. The visibility
delay of an event runs from the first sign that it committed (its append returned, or the reader's snapshot held
it while the design still held it back) to the reader reading it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg

from ticket_workflow import Event, EventMetadata

TYPES = ["Created", "Assigned", "StartWorked", "Resolveed", "Closeed", "Reopened"]
LOAD = "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1"
DRAIN_SECONDS = 3.0  # after the writers stop, how long the reader may take to see the last events
IDLE_POLL = 0.001


def event(stream_id: str, version: int) -> Event:
    now = datetime.now(UTC)
    return Event(
        id=str(uuid.uuid4()),
        stream_id=stream_id,
        type=TYPES[(version - 1) % len(TYPES)],
        version=version,
        timestamp=now,
        data={"aggregate_id": stream_id, "timestamp": now.isoformat(), "note": "benchmark"},
        metadata=EventMetadata(actor="bench", roles=("agent",), correlation_id=str(uuid.uuid4())),
    )


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


@dataclass
class Result:
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds per append call
    acked: dict[str, float] = field(default_factory=dict)  # event id -> when its append returned
    held: dict[str, float] = field(default_factory=dict)  # event id -> when the reader saw it committed, held back
    seen: dict[str, float] = field(default_factory=dict)  # event id -> when the reader could first read it

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def latency_ms(self, p: float) -> float:
        return 1000 * percentile(self.latencies, p)

    def visible_ms(self, p: float) -> float:
        delays = [max(0.0, self.seen[e] - min(t, self.held.get(e, t))) for e, t in self.acked.items() if e in self.seen]
        return 1000 * percentile(delays, p)

    @property
    def missed(self) -> int:
        """Committed events the reader never saw: skipped for good by a position reader of the baseline."""
        return len(self.acked.keys() - self.seen.keys())


async def run(store: Any, pool: asyncpg.Pool, *, writers: int, tickets: int, appends: int, seconds: float) -> Result:
    result = Result()
    streams = [str(uuid.uuid4()) for _ in range(max(tickets, writers))]
    budget = appends
    deadline = time.perf_counter() + seconds
    writing = True

    async def writer(mine: list[str]) -> None:
        nonlocal budget
        n = 0
        while budget > 0 and time.perf_counter() < deadline:
            budget -= 1
            stream_id = mine[n % len(mine)]
            n += 1
            version = await pool.fetchval(LOAD, stream_id)
            new = event(stream_id, version + 1)
            started = time.perf_counter()
            await store.append(stream_id, version, [new])
            done = time.perf_counter()
            result.latencies.append(done - started)
            result.acked[new.id] = done

    async def reader() -> None:
        cursor = store.start()
        async with pool.acquire() as conn:
            stopped_at = None
            while True:
                finished = not writing  # taken before the read: everything acked is committed by now
                ids, held, cursor = await store.read_after(conn, cursor)
                now = time.perf_counter()
                for event_id in ids:
                    result.seen.setdefault(event_id, now)
                for event_id in held:
                    result.held.setdefault(event_id, now)
                if ids:
                    continue
                if finished:
                    stopped_at = stopped_at or now
                    if store.positional or len(result.seen) >= len(result.acked):
                        return
                    if now - stopped_at > DRAIN_SECONDS:
                        return
                await asyncio.sleep(IDLE_POLL)

    following = asyncio.create_task(reader())
    started = time.perf_counter()
    await asyncio.gather(*(writer(streams[w::writers]) for w in range(writers)))
    result.elapsed = time.perf_counter() - started
    writing = False
    await following
    return result
