"""The alerts stream (``SLA_ALERT_STREAM``, default ``support-ticket.sla-alerts``) and the projector's timer on it.

:class:`RedisAlertSink` adds one entry per alert (fields: :meth:`~ticket_readmodel.alerts.Alert.entry`; entry IDs
chosen by Redis). Each alert is added once: one script call marks its id as published (a key next to the stream,
kept ``DEDUPE_SECONDS``) and adds the entry only if the mark was not there, so a leader that died after publishing
and before recording it as published does not publish it twice. Trimmed to about ``MAX_LEN`` entries.

:class:`PostgresSlaTimer` is what each projector replica runs: a small pool on the read model's database, a Redis
client, and the election on the read model's database (one leader per database).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from ticket_eventstore.postgres import DatabaseTimeouts, PostgresEventStore, create_pool
from ticket_eventstore.relay.election import Election, lock_session
from ticket_readmodel.alerts import Alert
from ticket_readmodel.alerts_postgres import PostgresAlertLog
from ticket_readmodel.postgres import PostgresReadModel

from .settings import ProjectorSettings
from .sla_timer import SLA_TIMER_LOCK, SlaTimer, horizon_of

DEFAULT_ALERT_STREAM = "support-ticket.sla-alerts"
DEDUPE_SECONDS = 30 * 24 * 3600
MAX_LEN = 100_000
ELECTION_SECONDS = 2.0
LEADER_IDLE_TIMEOUT = 15.0
TIMEOUTS = DatabaseTimeouts(statement=30, lock=10, idle_in_transaction=10, command=60, acquire=10)

# KEYS[1]: the stream, then one mark key per alert; ARGV[1]: the mark's lifetime, ARGV[2]: the stream's length to
# keep (about), then per alert its number of fields and the fields. Returns the number of entries added.
ADD_ONCE = """
local added, i = 0, 3
for k = 2, #KEYS do
  local n = tonumber(ARGV[i])
  if redis.call('SET', KEYS[k], '1', 'NX', 'EX', ARGV[1]) then
    local command = {'XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*'}
    for j = i + 1, i + 2 * n do command[#command + 1] = ARGV[j] end
    redis.call(unpack(command))
    added = added + 1
  end
  i = i + 1 + 2 * n
end
return added
"""


class RedisAlertSink:
    def __init__(self, redis: aioredis.Redis, stream: str = DEFAULT_ALERT_STREAM, *, max_len: int = MAX_LEN) -> None:
        self.redis, self.stream, self.max_len = redis, stream, max_len
        self._script = redis.register_script(ADD_ONCE)

    def mark(self, alert_id: str) -> str:
        return f"{self.stream}:published:{alert_id}"

    async def publish(self, alerts: Sequence[Alert]) -> None:
        keys = [self.stream] + [self.mark(a.id) for a in alerts]
        args: list[Any] = [DEDUPE_SECONDS, self.max_len]
        for alert in alerts:
            fields = alert.entry()
            args.append(len(fields))
            for name, value in fields.items():
                args += [name, value]
        await self._script(keys=keys, args=args)


class PostgresSlaTimer:
    """The timer of a projector replica; holds its own connections from :meth:`start` to :meth:`stop`."""

    def __init__(self, settings: ProjectorSettings, timer: SlaTimer | None = None) -> None:
        self.settings = settings
        self.timer = timer or SlaTimer(settings.sla_timer_seconds)
        self._pool: asyncpg.Pool | None = None
        self._store_pool: asyncpg.Pool | None = None
        self._redis: aioredis.Redis | None = None

    async def start(self) -> None:
        s = self.settings
        # Plain queries and transactions only (the lock is held by the election's own session): no reset query.
        self._pool = pool = await create_pool(
            s.database_url, max_size=2, timeouts=TIMEOUTS, reset_sessions=False, name="sla_timer"
        )
        if s.store_url != s.database_url:
            self._store_pool = await create_pool(
                s.store_url, max_size=1, timeouts=TIMEOUTS, reset_sessions=False, name="sla_timer_store"
            )
        self._redis = aioredis.from_url(s.redis_url)
        election = Election(
            lock_session(s.database_url, max(LEADER_IDLE_TIMEOUT, 3 * s.sla_timer_seconds)),  # it speaks each round
            SLA_TIMER_LOCK,
            ELECTION_SECONDS,
            self.timer.status,
            taken="sla timer: this replica now raises the service-level alerts",
        )
        sink = RedisAlertSink(self._redis, s.sla_alert_stream)
        horizon = horizon_of(PostgresReadModel(pool, s.read_model_schema), PostgresEventStore(self._store_pool or pool))
        self.timer.start(PostgresAlertLog(pool, s.read_model_schema), sink, election, horizon)

    async def stop(self) -> None:
        await self.timer.stop()
        if self._redis is not None:
            await self._redis.aclose()
        for pool in (self._pool, self._store_pool):
            if pool is not None:
                with contextlib.suppress(asyncio.TimeoutError, OSError):
                    await pool.close()
        self._pool = self._store_pool = self._redis = None
