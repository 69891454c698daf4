"""The trimmer: keeps the stream to a length and/or an age, never below what a consumer group still needs.

The floor is the lowest pending entry or the entry after the last one delivered, whichever is lower, over every
group; it is read and the stream trimmed in one Redis script. The event store keeps everything; a consumer that
fell behind the stream reads the gap from the store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from ..postgres import PostgresEventStore


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
