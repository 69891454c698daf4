"""The relay's loop: campaign (``election``), and while leading publish (``publisher``) and trim (``trimmer``).

- **No dual write.** Commands only append to Postgres; the leader reads what committed and publishes it. While
  Redis is down commands keep succeeding and the relay retries with backoff; when Redis returns it catches up.
- **Prompt.** The leader LISTENs on ``ticket_events`` (``postgres.NOTIFY_CHANNEL``) and also polls.
- **Never dies.** Every error is retried (a round with backoff, leading by campaigning again): a dead relay would
  publish nothing, and ``/health`` fails once the task has ended anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from redis.asyncio import Redis

from ..postgres import NOTIFY_CHANNEL, PostgresEventStore
from .election import PG_ERRORS, Connect, Election, LeadershipLost, close, lock_session, still_holding
from .publisher import StreamPublisher
from .settings import RelaySettings, RelayStatus
from .trimmer import StreamTrimmer

log = logging.getLogger(__name__)


@dataclass
class Relay:
    """Runs in every command-api replica; only the holder of the relay lock publishes."""

    connect: Connect  # opens the dedicated connection that holds the lock and LISTENs
    store: PostgresEventStore
    redis: Redis
    settings: RelaySettings = field(default_factory=RelaySettings)
    status: RelayStatus = field(default_factory=RelayStatus)

    def __post_init__(self) -> None:
        s = self.settings
        self.election = Election(self.connect, s.lock_key, s.election_interval, self.status)
        self.trimmer = StreamTrimmer(self.store, self.redis, s.stream, max_len=s.trim_max_len, max_age=s.trim_max_age)
        self.publisher = StreamPublisher(
            self.store, self.redis, s.stream, batch_size=s.batch_size, trimmer=self.trimmer
        )

    @classmethod
    def for_dsn(cls, dsn: str, store: PostgresEventStore, redis: Redis, settings: RelaySettings) -> Relay:
        return cls(lock_session(dsn, settings.leader_idle_timeout), store, redis, settings)

    async def run(self) -> None:
        """Campaign, lead, and campaign again when leadership is lost; until cancelled."""
        self.status.running = True
        try:
            while True:
                conn = await self.election.campaign()
                try:
                    await self._lead(conn)
                except LeadershipLost as exc:
                    log.warning("relay: lost leadership (%s); campaigning again", exc)
                except Exception as exc:  # whatever it was, the task lives on: a dead relay publishes nothing
                    self.status.last_error = f"leading: {exc!r}"
                    log.exception("relay: leading failed; campaigning again")
                    await asyncio.sleep(self.settings.election_interval)
                finally:
                    self.status.leader = False
                    await close(conn)
        finally:
            self.status.running = False

    async def _lead(self, conn: asyncpg.Connection) -> None:
        wake = asyncio.Event()
        try:
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())
        except PG_ERRORS as exc:
            raise LeadershipLost(repr(exc)) from exc
        conn.add_termination_listener(lambda *_: wake.set())
        self.status.leader = True
        backoff = 0.0
        next_trim = time.monotonic()
        while True:
            await still_holding(conn)
            wake.clear()
            trim_due = time.monotonic() >= next_trim
            try:
                await self._round(trim=trim_due, heartbeat=lambda: still_holding(conn))
            except Exception as exc:  # Redis down, store unreachable, anything: never let the relay die
                backoff = min(self.settings.max_backoff, max(0.1, backoff * 2))
                self.status.last_error = repr(exc)
                self.status.rounds_failed += 1
                log.warning("relay: round failed (%r); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                continue
            backoff = 0.0
            if trim_due:
                next_trim = time.monotonic() + self.settings.trim_interval
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation that arrives as its
            # timeout fires, and a relay told to stop would then run on.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.poll_interval):
                    await wake.wait()

    async def _round(self, *, trim: bool, heartbeat: Callable[[], Awaitable[None]] | None = None) -> None:
        await self.publisher.publish_pending(heartbeat)
        store_position = await self.store.last_position()
        published = await self.publisher.stream_position()
        if trim:
            await self.trimmer.trim(published)
        self.status.behind_seconds = await self._behind_seconds(published, store_position)
        self.status.store_position, self.status.published_position = store_position, published
        self.status.last_error = None
        self.status.last_round_at = datetime.now(UTC)
        if published > store_position:
            self.status.last_error = (
                f"stream {self.settings.stream!r} ends at position {published}, beyond the store's "
                f"{store_position}: it belongs to another event store"
            )

    async def _behind_seconds(self, published: int, store_position: int) -> float:
        """How old the first event not on the stream is (0 when the stream has everything): one read, and only
        when something committed during the round."""
        if published >= store_position:
            return 0.0
        oldest = await self.store.read_all(published, 1)
        if not oldest:
            return 0.0
        return max(0.0, (datetime.now(UTC) - oldest[0].timestamp).total_seconds())
