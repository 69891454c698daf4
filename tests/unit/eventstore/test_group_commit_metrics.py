"""The group commit tells its observers how many appends each batch wrote (``ticket_group_commit_appends``)."""

from __future__ import annotations

import asyncio

from tests.support.events import events
from ticket_eventstore.group_commit import GroupCommit, PendingAppend


async def test_each_batch_is_told_with_its_number_of_appends() -> None:
    release = asyncio.Event()

    async def write(batch: list[PendingAppend]) -> None:
        await release.wait()  # the first batch commits slowly: the next appends queue behind it
        for append in batch:
            append.succeed(list(append.events))

    group = GroupCommit(write)
    sizes: list[int] = []
    group.observers.append(sizes.append)
    first = asyncio.create_task(group.submit(PendingAppend("a", 0, events("a", 1, 1))))
    await asyncio.sleep(0)
    queued = [asyncio.create_task(group.submit(PendingAppend(s, 0, events(s, 1, 1)))) for s in ("b", "c", "d")]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *queued)
    assert sizes == [1, 3]
    assert group.batches == 2
