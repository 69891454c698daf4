"""The projection's checkpoint as this process knows it, and the waits on it (live updates, read-your-writes).

One :class:`CheckpointWatch` per process. A feed announces every advance: the PostgreSQL listener
(:mod:`ticket_query.listener`) or, in the embedded mode, the in-process projector. While a feed is connected a
waiter costs nothing until the checkpoint moves; while none is (the listener reconnecting, or a read model
handed in without one), waiters read the checkpoint themselves every ``poll_seconds``, one shared read at a
time, so nothing waits forever on a notification that cannot come.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class CheckpointWatch:
    def __init__(self, read: Callable[[], Awaitable[int]], *, poll_seconds: float = 0.25) -> None:
        self._read = read
        self.poll_seconds = poll_seconds
        self.latest = 0
        self._fed = False
        self._moved = asyncio.Event()
        self._reading: asyncio.Future[int] | None = None
        self._last_read = float("-inf")

    @property
    def fed(self) -> bool:
        """True while a feed announces every advance (waiters need not read the checkpoint themselves)."""
        return self._fed

    def advance(self, position: int) -> None:
        """A feed saw the checkpoint at ``position``: wake every waiter if it moved forward."""
        if position > self.latest:
            self.latest = position
            self._wake()

    def feeding(self, fed: bool) -> None:
        """A feed connected (True) or lost its connection (False); waiters re-check how to wait either way."""
        if fed != self._fed:
            self._fed = fed
            self._wake()

    async def current(self) -> int:
        """The checkpoint now: the announced one while fed, else read (shared with concurrent callers)."""
        if not self._fed:
            await self._refresh(max_age=0.0)
        return self.latest

    async def wait_for(self, position: int, within: float | None) -> int:
        """The checkpoint once it reaches ``position``, or as it stands after ``within`` seconds (None: forever)."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        max_age = 0.0  # the first look reads afresh: the position may have been projected a moment ago
        while True:
            if self.latest < position and not self._fed:
                await self._refresh(max_age)
                max_age = self.poll_seconds
            remaining = None if deadline is None else deadline - loop.time()
            if self.latest >= position or (remaining is not None and remaining <= 0):
                return self.latest
            moved = self._moved
            pause = remaining if self._fed else min(self.poll_seconds, remaining or self.poll_seconds)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):  # not wait_for: it can swallow a cancellation
                    await moved.wait()

    def _wake(self) -> None:
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    async def _refresh(self, max_age: float) -> None:
        """Read the checkpoint unless a read started within ``max_age`` seconds; join one in flight."""
        loop = asyncio.get_running_loop()
        if self._reading is None and loop.time() - self._last_read >= max_age:
            self._last_read = loop.time()
            self._reading = asyncio.ensure_future(self._read_once())
        if self._reading is not None:
            await asyncio.shield(self._reading)

    async def _read_once(self) -> int:
        try:
            position = await self._read()
        finally:
            self._reading = None
        self.advance(position)
        return position
