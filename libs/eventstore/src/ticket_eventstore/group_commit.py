"""Group commit: appends that arrive together are written in one transaction.

With positions in commit order, commits are serialised by the append lock, so PostgreSQL cannot fold concurrent
commits into one WAL flush: one commit per command would cap the store at one command per flush. Instead the
appends waiting in this process are gathered into one batch, and the batch pays for one lock, one version check,
one insert and one flush. Under no load a batch holds one append and nothing waits; under load the appends that
queued while the previous batch committed form the next one.

Each append is still judged on its own (:func:`admit`, which the PostgreSQL store's ``append_batch`` function
follows, tested against it): a stale version or an idempotency key already taken fails only that append, exactly
as it would have alone. A database failure fails the whole batch, and nothing of it is written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ticket_workflow import Event, VersionConflict

from .ports import IdempotencyKeyTaken, RecordedResponse


@dataclass(eq=False)
class PendingAppend:
    """One caller's append, waiting for the batch it joins to commit."""

    stream_id: str
    expected_version: int
    events: Sequence[Event]
    response: RecordedResponse | None = None
    outcome: asyncio.Future[list[Event]] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    @property
    def key(self) -> tuple[str, str] | None:
        return (self.response.actor, self.response.key) if self.response is not None else None

    def succeed(self, stored: list[Event]) -> None:
        if not self.outcome.done():  # a caller that gave up is not told
            self.outcome.set_result(stored)

    def fail(self, error: BaseException) -> None:
        if not self.outcome.done():
            self.outcome.set_exception(error)


def admit(
    batch: Sequence[PendingAppend], versions: Mapping[str, int], taken: set[tuple[str, str]]
) -> list[Exception | None]:
    """Which appends of a batch may be written, in arrival order, as if each had been appended alone.

    ``versions``: each stream's current version in the store (absent: a new stream); ``taken``: the idempotency
    keys already recorded. Returns, per append, None when it is admitted or the error it gets. An admitted append
    moves its stream on and takes its key, so a later append of the same batch on that stream or with that key
    is judged against it.
    """
    current = dict(versions)
    keys = set(taken)
    verdicts: list[Exception | None] = []
    for append in batch:
        key = append.key
        if key is not None and key in keys:
            verdicts.append(IdempotencyKeyTaken(*key))
        elif current.get(append.stream_id, 0) != append.expected_version:
            verdicts.append(VersionConflict(append.expected_version, stream_id=append.stream_id))
        else:
            verdicts.append(None)
            current[append.stream_id] = append.expected_version + len(append.events)
            if key is not None:
                keys.add(key)
    return verdicts


WriteBatch = Callable[[list[PendingAppend]], Awaitable[None]]


class GroupCommit:
    """Queues appends and hands them to ``write`` in batches, one batch at a time.

    ``write`` settles every append of the batch it is given (``succeed`` or ``fail``); if it raises, every append
    it left unsettled gets that error.
    """

    def __init__(self, write: WriteBatch, *, max_batch: int = 500) -> None:
        self._write = write
        self.max_batch = max_batch
        self._queue: deque[PendingAppend] = deque()
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0  # how many batches were written (for tests and metrics)
        self.observers: list[Callable[[int], None]] = []  # told each batch's number of appends (metrics)

    async def submit(self, append: PendingAppend) -> list[Event]:
        self._queue.append(append)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="group-commit")
        # A caller cancelled while waiting: if its append is still queued, it is dropped from the queue (its
        # future is cancelled, so the flusher skips it); if its batch is already being written, the batch goes on
        # and the append may be committed, as a single append cancelled during its commit may be.
        return await append.outcome

    async def _flush(self) -> None:
        while self._queue:
            batch = self._take()
            if not batch:
                continue
            self.batches += 1
            for observe in self.observers:
                observe(len(batch))
            try:
                await self._write(batch)
            except BaseException as exc:
                for append in batch:
                    append.fail(exc if isinstance(exc, Exception) else asyncio.CancelledError())
                if not isinstance(exc, Exception):
                    raise

    def _take(self) -> list[PendingAppend]:
        batch: list[PendingAppend] = []
        while self._queue and len(batch) < self.max_batch:
            append = self._queue.popleft()
            if not append.outcome.done():
                batch.append(append)
        return batch

    async def close(self) -> None:
        """Wait until every append queued so far is written (or has failed)."""
        if self._flusher is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._flusher
