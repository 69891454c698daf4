"""The relay: publishes committed events, in global order, from the PostgreSQL event store to a Redis stream.

- **No dual write.** Commands only append to Postgres; the relay reads what committed (``read_all`` after the
  position of the stream's last entry) and publishes it. While Redis is down commands keep succeeding and the
  relay retries with backoff; when Redis returns it catches up.
- **Idempotent publishing.** Each entry's ID is ``<position>-0`` (``stream.entry_id``). Redis refuses an ID that
  is not greater than the stream's last one, so a republish is a no-op and order is kept. A page of entries is
  added by one script call (one round trip), in order, and the script stops at the first entry Redis refuses
  for any other reason: a failure can never leave a gap behind a later entry.
- **Where to resume** is read from Redis itself on every round (``last-generated-id``), not remembered. A stream
  that is gone, or that was recreated behind what was published (``DEL``, Redis restarted empty), is republished
  from the start of the window the trimming promises, never all history at once, trimming as it goes so that
  Redis does not reach ``maxmemory``. Each page checks, in the same script, that the stream still ends where the
  previous page left it: a stream deleted mid-publish is noticed at once instead of growing again from a later
  position with a hole below it.
- **One active relay.** Replicas campaign for a PostgreSQL session advisory lock on a dedicated connection. The
  holder publishes; when its connection (or process) dies Postgres releases the lock and a standby takes over.
  A brief overlap is harmless: explicit IDs make the second publisher's entries no-ops. A leader frozen with
  its host alive (SIGSTOP) is cut off by the server after ``leader_idle_timeout`` of silence.
- **Prompt.** The leader LISTENs on ``ticket_events`` (``postgres.NOTIFY_CHANNEL``) and also polls.
- **Trimming** by length and/or age, never below what a consumer group still needs: the lowest pending entry
  or the entry after the last one delivered, whichever is lower, over every group. The event store keeps
  everything; a consumer that fell behind the stream reads the gap from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from ticket_workflow import Event

from .postgres import NOTIFY_CHANNEL, PostgresEventStore
from .stream import DEFAULT_STREAM, encode, entry_id, position_of

log = logging.getLogger(__name__)

RELAY_LOCK = 0x5EED_0003
LIVENESS_TIMEOUT = 5.0  # seconds the leader waits for its lock connection to answer before standing down
_PG_ERRORS = (OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


@dataclass(frozen=True)
class RelaySettings:
    stream: str = DEFAULT_STREAM
    batch_size: int = 500
    poll_interval: float = 1.0  # seconds between rounds when no notification arrives
    election_interval: float = 2.0  # seconds between a standby's attempts to take the lock
    max_backoff: float = 5.0  # ceiling of the retry delay while Redis or Postgres fail
    trim_max_len: int | None = None  # keep at most this many of the latest positions
    trim_max_age: float | None = None  # seconds: drop entries of events older than this
    trim_interval: float = 60.0
    lock_key: int = RELAY_LOCK
    leader_idle_timeout: float = 15.0  # seconds: the server ends a lock session silent this long (a frozen leader)


@dataclass
class RelayStatus:
    """What ``/ready`` reports about the relay of this process."""

    running: bool = False
    leader: bool = False
    published_position: int = 0  # the stream's last entry, as last seen by the leader
    store_position: int = 0
    last_error: str | None = None
    last_round_at: datetime | None = None

    @property
    def lag(self) -> int:
        return max(0, self.store_position - self.published_position)

    def as_dict(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "role": "leader" if self.leader else "standby",
            "published_position": self.published_position,
            "store_position": self.store_position,
            "lag": self.lag if self.leader else None,
            "last_error": self.last_error,
            "last_round_at": self.last_round_at.isoformat() if self.last_round_at else None,
        }


class StreamLost(Exception):
    """The stream vanished or went back while a republish was under way."""


class StreamPublisher:
    """Copies committed events the stream lacks from the store to the stream, in position order."""

    def __init__(
        self,
        store: PostgresEventStore,
        redis: Redis,
        stream: str,
        *,
        batch_size: int = 500,
        trimmer: StreamTrimmer | None = None,
    ) -> None:
        self.store = store
        self.redis = redis
        self.stream = stream
        self.batch_size = batch_size
        self.trimmer = trimmer
        self.published = 0  # the stream's end after this publisher's last page
        self._add_script = redis.register_script(ADD_IN_ORDER)

    async def stream_position(self) -> int:
        """Position of the stream's last entry ever added (survives trimming; 0 when the stream is gone)."""
        try:
            info = await self.redis.xinfo_stream(self.stream)
        except ResponseError as exc:
            if "no such key" in str(exc).lower():
                return 0
            raise
        return position_of(info["last-generated-id"])

    async def publish_pending(self, heartbeat: Callable[[], Awaitable[None]] | None = None) -> int:
        """Publish everything committed after the stream's end; returns how many entries were added.

        ``heartbeat`` runs after every page: the leader proves it still holds the lock (and keeps its session
        from being ended as idle) during a long republish."""
        added = 0
        while True:
            try:
                return added + await self._publish_from(*await self._resume_point(), heartbeat)
            except StreamLost as exc:
                log.warning("relay: %s; republishing the window", exc)

    async def _resume_point(self) -> tuple[int, int, bool]:
        """(position to publish after, where the stream ends now, whether the stream was lost). A stream lost or
        recreated behind what was published resumes before the window the trimming keeps: events below it are
        not promised to subscribers."""
        end = await self.stream_position()
        if end > 0 and end >= self.published:
            return end, end, False
        window = await self.trimmer.window_start(await self.store.last_position()) if self.trimmer else 1
        start = max(end, window - 1)
        if self.published:
            log.warning(
                "relay: stream %r ends at %d, below the %d published: republishing from position %d",
                self.stream,
                end,
                self.published,
                start + 1,
            )
        self.published = start
        return start, end, True

    async def _publish_from(
        self, after: int, expected: int, lost: bool, heartbeat: Callable[[], Awaitable[None]] | None
    ) -> int:
        added = 0
        while events := await self.store.read_all(after, self.batch_size):
            if heartbeat is not None and added:
                await heartbeat()
            added += await self._add_in_order(events, expected)
            after = expected = events[-1].position or after
            self.published = max(self.published, after)
            if lost and self.trimmer is not None:
                await self.trimmer.trim(after)  # a long republish never holds more than the window
        return added

    async def _add_in_order(self, events: list[Event], expected: int = 0) -> int:
        args: list[str] = [str(expected)]
        for event in events:
            assert event.position is not None  # stored events always have one
            fields = encode(event)
            args += [entry_id(event.position), str(len(fields))]
            for name, value in fields.items():
                args += [name, value]
        reply: Any = await self._add_script(keys=[self.stream], args=args)
        if len(reply) > 1:
            error = reply[1].decode() if isinstance(reply[1], bytes) else str(reply[1])
            if error.startswith("LOST"):
                raise StreamLost(f"stream {self.stream!r} {error[5:]} (expected to end at {expected} or later)")
            raise ResponseError(f"adding to {self.stream!r} stopped after {reply[0]} entries: {error}")
        return int(reply[0])


# KEYS[1]: the stream; ARGV[1]: the position the stream must end at or beyond (0: no check), then per entry its
# id, its number of fields, then the fields' names and values. A stream that is gone or ends below ARGV[1] was
# deleted or recreated since the last page: nothing is added ({0, "LOST ..."}). Adds the entries in order; an id
# at or below the stream's last one is a republish and is skipped; any other refusal stops the script, so that no
# later entry is added behind a missing one. Returns {added} or {added, error}.
ADD_IN_ORDER = """
local expected = tonumber(ARGV[1])
if expected > 0 then
  local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
  if type(info) == 'table' and info.err then return {0, 'LOST is gone'} end
  for j = 1, #info, 2 do
    if info[j] == 'last-generated-id' and tonumber(string.match(info[j + 1], '^(%d+)')) < expected then
      return {0, 'LOST was recreated, now ending at ' .. info[j + 1]}
    end
  end
end
local added, i = 0, 2
while i <= #ARGV do
  local n = tonumber(ARGV[i + 1])
  local command = {'XADD', KEYS[1], ARGV[i]}
  for j = i + 2, i + 1 + 2 * n do command[#command + 1] = ARGV[j] end
  local reply = redis.pcall(unpack(command))
  if type(reply) == 'table' and reply.err then
    if not string.find(reply.err, 'equal or smaller', 1, true) then return {added, reply.err} end
  else
    added = added + 1
  end
  i = i + 2 + 2 * n
end
return {added}
"""


class StreamTrimmer:
    """Trims the stream by length and/or age, never below what a consumer group still needs."""

    def __init__(
        self,
        store: PostgresEventStore,
        redis: Redis,
        stream: str,
        *,
        max_len: int | None = None,
        max_age: float | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store, self.redis, self.stream = store, redis, stream
        self.max_len, self.max_age, self.clock = max_len, max_age, clock

    async def trim(self, last_position: int) -> int:
        """Remove entries below the trim point; returns how many were removed.

        The consumer groups' floor is read and the stream trimmed in one Redis script, so a group that is created
        or moves between the two cannot lose an entry it still needs.
        """
        cut = await self._wanted_cut(last_position)
        if cut is None or cut <= 1:
            return 0
        removed = await self.redis.eval(TRIM_ABOVE_CONSUMERS, 1, self.stream, cut)
        return int(removed)

    async def window_start(self, last_position: int) -> int:
        """The first position the stream promises to hold when it ends at ``last_position``."""
        return max(1, await self._wanted_cut(last_position) or 1)

    async def _wanted_cut(self, last_position: int) -> int | None:
        """The lowest position to keep according to the configured limits (None: no limit applies)."""
        cuts = []
        if self.max_len is not None:
            cuts.append(last_position - self.max_len + 1)
        if self.max_age is not None:
            cutoff = self.clock() - timedelta(seconds=self.max_age)
            cuts.append(await self.store.position_at(cutoff) + 1)
        return max(cuts) if cuts else None


# KEYS[1]: the stream; ARGV[1]: the lowest position the limits want to keep. Keeps whatever any group still has
# pending or has not been delivered yet, then trims with MINID. Entry ids are "<position>-0".
TRIM_ABOVE_CONSUMERS = """
local cut = tonumber(ARGV[1])
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if type(groups) == 'table' and groups.err then return 0 end
local function position(id) return tonumber(string.match(id, '^(%d+)')) end
for _, fields in ipairs(groups) do
  local group = {}
  for i = 1, #fields, 2 do group[fields[i]] = fields[i + 1] end
  cut = math.min(cut, position(group['last-delivered-id']) + 1)
  if tonumber(group['pending']) > 0 then
    local oldest = redis.call('XPENDING', KEYS[1], group['name'])[2]
    if oldest then cut = math.min(cut, position(oldest)) end
  end
end
if cut <= 1 then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%d-0', cut))
"""


async def consumer_floor(redis: Redis, stream: str) -> int | None:
    """The lowest position any consumer group still needs (None when the stream has no group)."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return None  # no stream, no groups
    needed = []
    for group in groups:
        floor = position_of(group["last-delivered-id"]) + 1
        if int(group.get("pending", 0)):
            summary = await redis.xpending(stream, group["name"])
            if summary.get("min"):
                floor = min(floor, position_of(summary["min"]))
        needed.append(floor)
    return min(needed) if needed else None


class LeadershipLost(Exception):
    """The connection holding the relay lock is gone: Postgres released the lock."""


Connect = Callable[[], Awaitable[asyncpg.Connection]]


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
        self.trimmer = StreamTrimmer(self.store, self.redis, s.stream, max_len=s.trim_max_len, max_age=s.trim_max_age)
        self.publisher = StreamPublisher(
            self.store, self.redis, s.stream, batch_size=s.batch_size, trimmer=self.trimmer
        )

    @classmethod
    def for_dsn(cls, dsn: str, store: PostgresEventStore, redis: Redis, settings: RelaySettings) -> Relay:
        # The server probes the lock holder's connection, so a leader whose host died loses the lock in about
        # 25 s instead of the kernel's two hours; a standby then takes over.
        # A leader frozen with its host alive (SIGSTOP, a stalled VM) still answers keepalives: the server ends its
        # session once it has been silent for ``leader_idle_timeout``, which releases the lock. A live leader
        # speaks at least every poll interval and after every page it publishes.
        keepalive = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5", "tcp_keepalives_count": "3"}
        idle = {"idle_session_timeout": str(int(settings.leader_idle_timeout * 1000))}
        server_settings = keepalive | idle
        return cls(lambda: asyncpg.connect(dsn, timeout=10, server_settings=server_settings), store, redis, settings)

    async def run(self) -> None:
        """Campaign, lead, and campaign again when leadership is lost; until cancelled."""
        self.status.running = True
        try:
            while True:
                conn = await self._campaign()
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
                    await _close(conn)
        finally:
            self.status.running = False

    async def _campaign(self) -> asyncpg.Connection:
        conn: asyncpg.Connection | None = None
        while True:
            try:
                if conn is None or conn.is_closed():
                    conn = await self.connect()
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.settings.lock_key):
                    log.info("relay: this replica is now the publisher")
                    return conn
            except Exception as exc:  # any failure to connect or ask: try again, never end the task
                self.status.last_error = f"election: {exc!r}"
                if conn is not None:
                    await _close(conn)
                conn = None
            await asyncio.sleep(self.settings.election_interval)

    async def _lead(self, conn: asyncpg.Connection) -> None:
        wake = asyncio.Event()
        try:
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: wake.set())
        except _PG_ERRORS as exc:
            raise LeadershipLost(repr(exc)) from exc
        conn.add_termination_listener(lambda *_: wake.set())
        self.status.leader = True
        backoff = 0.0
        next_trim = time.monotonic()
        while True:
            await _still_holding(conn)
            wake.clear()
            trim_due = time.monotonic() >= next_trim
            try:
                await self._round(trim=trim_due, heartbeat=lambda: _still_holding(conn))
            except Exception as exc:  # Redis down, store unreachable, anything: never let the relay die
                backoff = min(self.settings.max_backoff, max(0.1, backoff * 2))
                self.status.last_error = repr(exc)
                log.warning("relay: round failed (%r); retrying in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                continue
            backoff = 0.0
            if trim_due:
                next_trim = time.monotonic() + self.settings.trim_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.settings.poll_interval)

    async def _round(self, *, trim: bool, heartbeat: Callable[[], Awaitable[None]] | None = None) -> None:
        await self.publisher.publish_pending(heartbeat)
        store_position = await self.store.last_position()
        published = await self.publisher.stream_position()
        if trim:
            await self.trimmer.trim(published)
        self.status.store_position, self.status.published_position = store_position, published
        self.status.last_error = None
        self.status.last_round_at = datetime.now(UTC)
        if published > store_position:
            self.status.last_error = (
                f"stream {self.settings.stream!r} ends at position {published}, beyond the store's "
                f"{store_position}: it belongs to another event store"
            )


async def _still_holding(conn: asyncpg.Connection) -> None:
    if conn.is_closed():
        raise LeadershipLost("lock connection closed")
    try:
        await conn.fetchval("SELECT 1", timeout=LIVENESS_TIMEOUT)
    except _PG_ERRORS as exc:
        raise LeadershipLost(repr(exc)) from exc


async def _close(conn: asyncpg.Connection) -> None:
    with contextlib.suppress(*_PG_ERRORS):
        await asyncio.wait_for(conn.close(), 5)
    if not conn.is_closed():
        conn.terminate()
