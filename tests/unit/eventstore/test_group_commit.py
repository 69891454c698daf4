"""Group commit without a database: which appends of a batch are admitted, and how batches form."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.events import events
from ticket_eventstore.group_commit import GroupCommit, PendingAppend, admit
from ticket_eventstore.ports import IdempotencyKeyTaken, RecordedResponse
from ticket_workflow import Event, VersionConflict


def pending(stream: str, expected: int, count: int = 1, key: str | None = None) -> PendingAppend:
    response = RecordedResponse("alice", key, "hash", 200, {}) if key else None
    return PendingAppend(stream, expected, events(stream, expected + 1, count), response)


def kinds(verdicts: list[Exception | None]) -> list[str]:
    return [type(v).__name__ if v else "ok" for v in verdicts]


async def test_two_appends_at_the_same_version_of_one_stream_the_first_wins() -> None:
    batch = [pending("a", 0), pending("b", 0), pending("a", 0)]
    assert kinds(admit(batch, {}, set())) == ["ok", "ok", "VersionConflict"]


async def test_an_append_continuing_an_admitted_one_is_admitted() -> None:
    batch = [pending("a", 3, count=2), pending("a", 5), pending("a", 3)]
    assert kinds(admit(batch, {"a": 3}, set())) == ["ok", "ok", "VersionConflict"]


async def test_the_version_in_the_store_decides() -> None:
    assert kinds(admit([pending("a", 0), pending("b", 1)], {"a": 2, "b": 1}, set())) == ["VersionConflict", "ok"]


async def test_the_same_idempotency_key_twice_in_a_batch_only_the_first_is_written() -> None:
    batch = [pending("a", 0, key="k"), pending("b", 0, key="k"), pending("c", 0, key="other")]
    assert kinds(admit(batch, {}, set())) == ["ok", "IdempotencyKeyTaken", "ok"]


async def test_a_key_already_recorded_is_taken() -> None:
    assert kinds(admit([pending("a", 0, key="k")], {}, {("alice", "k")})) == ["IdempotencyKeyTaken"]


async def test_a_refused_append_neither_takes_its_key_nor_moves_its_stream() -> None:
    batch = [pending("a", 1, key="k"), pending("b", 0, key="k"), pending("a", 0)]
    assert kinds(admit(batch, {}, set())) == ["VersionConflict", "ok", "ok"]


class RecordingWriter:
    """Settles every append; records the batches it was given; can be held or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_with: Exception | None = None

    async def __call__(self, batch: list[PendingAppend]) -> None:
        self.batches.append([a.stream_id for a in batch])
        await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        for append in batch:
            append.succeed(list(append.events))


async def test_appends_arriving_while_a_batch_is_written_form_the_next_batch() -> None:
    writer = RecordingWriter()
    group = GroupCommit(writer)
    writer.gate.clear()
    first = asyncio.create_task(group.submit(pending("s0", 0)))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    rest = [asyncio.create_task(group.submit(pending(f"s{i}", 0))) for i in range(1, 6)]
    await asyncio.sleep(0)
    writer.gate.set()
    written: list[list[Event]] = await asyncio.gather(first, *rest)
    assert writer.batches == [["s0"], ["s1", "s2", "s3", "s4", "s5"]]
    assert [w[0].stream_id for w in written] == [f"s{i}" for i in range(6)]
    assert group.batches == 2


async def test_batches_are_bounded() -> None:
    writer = RecordingWriter()
    group = GroupCommit(writer, max_batch=2)
    await asyncio.gather(*(group.submit(pending(f"s{i}", 0)) for i in range(5)))
    assert [len(b) for b in writer.batches] == [2, 2, 1]


async def test_a_failed_batch_fails_each_of_its_appends_and_the_next_batch_goes_on() -> None:
    writer = RecordingWriter()
    group = GroupCommit(writer)
    writer.gate.clear()
    writer.fail_with = ConnectionError("server closed the connection")
    doomed = [asyncio.create_task(group.submit(pending(f"s{i}", 0))) for i in range(3)]
    await asyncio.sleep(0)
    writer.gate.set()
    results = await asyncio.gather(*doomed, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    writer.fail_with = None
    assert await group.submit(pending("later", 0))


async def test_a_caller_that_gives_up_while_queued_is_never_written() -> None:
    writer = RecordingWriter()
    group = GroupCommit(writer)
    writer.gate.clear()
    in_flight = asyncio.create_task(group.submit(pending("first", 0)))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    queued = asyncio.create_task(group.submit(pending("given-up", 0)))
    kept = asyncio.create_task(group.submit(pending("kept", 0)))
    await asyncio.sleep(0)
    queued.cancel()
    writer.gate.set()
    await asyncio.gather(in_flight, kept)
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert writer.batches == [["first"], ["kept"]]


async def test_a_caller_that_gives_up_during_its_batch_does_not_disturb_the_others() -> None:
    writer = RecordingWriter()
    group = GroupCommit(writer)
    writer.gate.clear()
    tasks = [asyncio.create_task(group.submit(pending(f"s{i}", 0))) for i in range(3)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    tasks[1].cancel()
    writer.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(results[1], asyncio.CancelledError)
    assert [r[0].stream_id for r in (results[0], results[2])] == ["s0", "s2"]  # type: ignore[index]
    assert writer.batches == [["s0", "s1", "s2"]]


async def test_conflict_errors_name_the_stream() -> None:
    [verdict] = admit([pending("a", 1)], {"a": 2}, set())
    assert isinstance(verdict, VersionConflict) and verdict.stream_id == "a"
    [taken] = admit([pending("a", 2, key="k")], {"a": 2}, {("alice", "k")})
    assert isinstance(taken, IdempotencyKeyTaken) and taken.key == "k"
