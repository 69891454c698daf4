"""One LISTEN connection per process feeds the :class:`~ticket_query.checkpoints.CheckpointWatch`.

Every projection transaction sends ``pg_notify(checkpoint_channel(schema), '<checkpoint>')`` as it commits, so
this connection learns each advance the moment its rows become visible, whichever projector replica made it.
After each (re)connection it LISTENs first and reads the checkpoint second: an advance made while it was away
is seen by the read, any later one by a notification. While it is away the watch falls back to polling.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg

from ticket_readmodel.postgres import checkpoint_channel, read_checkpoint

from .checkpoints import CheckpointWatch

log = logging.getLogger("ticket_query.listener")

# A connection that died without a word (a dropped network path) is only noticed when something is sent on it;
# the checkpoint read doubles as that probe and as a resync, one cheap query per process per period.
PROBE_SECONDS = 15.0
APPLICATION_NAME = "ticket-query-api checkpoint listener"  # how operators (and tests) find it in pg_stat_activity


class CheckpointListener:
    def __init__(
        self,
        dsn: str,
        schema: str,
        watch: CheckpointWatch,
        *,
        backoff: tuple[float, float] = (0.1, 5.0),
        probe_seconds: float = PROBE_SECONDS,
    ) -> None:
        self._dsn = dsn
        self._schema = schema
        self._channel = checkpoint_channel(schema)
        self._watch = watch
        self._backoff = backoff
        self._probe_seconds = probe_seconds
        self.connections = 0  # how many times it (re)connected, for tests and logs

    async def run(self) -> None:
        """Listen until cancelled, reconnecting with exponential backoff."""
        delay = self._backoff[0]
        while True:
            connected_before = self.connections
            try:
                await self._listen_once()
            except Exception as exc:
                if self.connections > connected_before:
                    delay = self._backoff[0]  # it was up: the first retry comes quickly
                log.warning("checkpoint listener: %s: %s; reconnecting in %.1fs", type(exc).__name__, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff[1])

    async def _listen_once(self) -> None:
        conn = await asyncpg.connect(self._dsn, server_settings={"application_name": APPLICATION_NAME})
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(self._channel, self._notified)
            self._watch.advance(await read_checkpoint(conn, self._schema))
            self._watch.feeding(True)
            self.connections += 1
            if self.connections > 1:
                log.info("checkpoint listener reconnected at position %d", self._watch.latest)
            while not lost.is_set():
                try:
                    async with asyncio.timeout(self._probe_seconds):  # not wait_for: it can swallow a cancellation
                        await lost.wait()
                except TimeoutError:
                    self._watch.advance(await read_checkpoint(conn, self._schema))
            raise ConnectionError("the listening connection was closed")
        finally:
            self._watch.feeding(False)
            conn.terminate()

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            self._watch.advance(int(payload))
        except ValueError:
            log.warning("checkpoint listener: ignoring payload %r on %s", payload, self._channel)
