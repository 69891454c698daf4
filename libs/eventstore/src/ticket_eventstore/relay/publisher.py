"""The publisher: copies committed events the stream lacks from the store to the stream, in position order.

- **Idempotent.** Each entry's ID is ``<position>-0`` (``stream.entry_id``). Redis refuses an ID that is not
  greater than the stream's last one, so a republish is a no-op and order is kept. A page of entries is added by
  one script call (one round trip), in order, and the script stops at the first entry Redis refuses for any other
  reason: a failure can never leave a gap behind a later entry.
- **Where to resume** is read from Redis itself on every round (``last-generated-id``), not remembered. A stream
  that is gone, or that was recreated behind what was published (``DEL``, Redis restarted empty), is republished
  from the start of the window the trimmer promises, never all history at once, trimming as it goes so that Redis
  does not reach ``maxmemory``. Each page checks, in the same script, that the stream still ends where the
  previous page left it: a stream deleted mid-publish is noticed at once instead of growing again from a later
  position with a hole below it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from ticket_workflow import Event

from ..postgres import PostgresEventStore
from ..stream import encode, entry_id, position_of
from .trimmer import StreamTrimmer

log = logging.getLogger(__name__)


class PublishObserver:
    """Told what the publisher added; a no-op here, an observer overrides it (metrics, logs, traces).

    Called on the relay's task after each page: it must be quick and must not raise."""

    def published(self, events: Sequence[Event], started_at: float, seconds: float) -> None:
        """``events`` are on the stream (a republished entry Redis skipped included), in position order; the page
        began at ``started_at`` (time.time()) and took ``seconds``."""


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
        self.observers: list[PublishObserver] = []
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
            started_at, clock = time.time(), time.perf_counter()
            added += await self._add_in_order(events, expected)
            seconds = time.perf_counter() - clock
            for observer in self.observers:
                observer.published(events, started_at, seconds)
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
