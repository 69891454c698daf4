"""Group commit on a real PostgreSQL: batches keep every guarantee of a single append, and every wait is bounded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.events import event, events
from tests.support.ids import ticket_id
from ticket_eventstore.group_commit import PendingAppend, admit
from ticket_eventstore.ports import IdempotencyKeyTaken, RecordedResponse
from ticket_eventstore.postgres import APPEND_LOCK, DatabaseTimeouts, PostgresEventStore, create_pool
from ticket_workflow import VersionConflict
from ticket_workflow.ports import StoreUnavailable

FAST = DatabaseTimeouts(statement=2, lock=0.5, idle_in_transaction=1, command=5, acquire=2)


@pytest.fixture
async def bounded_store(migrated_url: str) -> AsyncIterator[PostgresEventStore]:
    pool = await create_pool(migrated_url, max_size=4, timeouts=FAST)
    yield PostgresEventStore(pool, acquire_timeout=FAST.acquire)
    await pool.close()


async def test_concurrent_appends_share_transactions_and_get_commit_ordered_positions(
    pg_store: PostgresEventStore,
) -> None:
    streams = [ticket_id() for _ in range(60)]
    before = pg_store.batches
    written = await asyncio.gather(*(pg_store.append(s, 0, events(s, 1, 2)) for s in streams))
    batches = pg_store.batches - before
    assert batches < len(streams) / 4, f"{batches} transactions for {len(streams)} concurrent appends"
    positions = [e.position for w in written for e in w]
    assert sorted(positions) == list(range(min(positions), min(positions) + 120))  # type: ignore[type-var]
    for stream, stored in zip(streams, written, strict=True):
        assert await pg_store.read_stream(stream) == stored
        assert stored[1].position == stored[0].position + 1  # type: ignore[operator]


async def test_conflicting_appends_in_one_batch_fail_alone(pg_store: PostgresEventStore) -> None:
    contested, others = ticket_id(), [ticket_id() for _ in range(5)]
    await pg_store.append(contested, 0, events(contested, 1, 1))
    before = pg_store.batches
    results = await asyncio.gather(
        *(pg_store.append(contested, 1, [event(contested, 2)]) for _ in range(5)),
        *(pg_store.append(s, 0, events(s, 1, 1)) for s in others),
        return_exceptions=True,
    )
    assert pg_store.batches - before == 1  # they were judged in one transaction
    contest = results[:5]
    assert sum(not isinstance(r, BaseException) for r in contest) == 1
    assert all(isinstance(r, VersionConflict) for r in contest if isinstance(r, BaseException))
    assert all(isinstance(r, list) for r in results[5:])
    assert [e.version for e in await pg_store.read_stream(contested)] == [1, 2]


async def test_the_same_idempotency_key_twice_in_one_batch(pg_store: PostgresEventStore) -> None:
    a, b = ticket_id(), ticket_id()
    first = RecordedResponse("alice", "same-key", "hash-1", 201, {"aggregate_id": a})
    second = RecordedResponse("alice", "same-key", "hash-1", 201, {"aggregate_id": b})
    before = pg_store.batches
    results = await asyncio.gather(
        pg_store.append(a, 0, events(a, 1, 1), response=first),
        pg_store.append(b, 0, events(b, 1, 1), response=second),
        return_exceptions=True,
    )
    assert pg_store.batches - before == 1
    assert isinstance(results[0], list) and isinstance(results[1], IdempotencyKeyTaken)
    assert await pg_store.recorded_response("alice", "same-key") == first
    assert await pg_store.read_stream(b) == []


async def test_data_the_database_refuses_fails_only_its_own_append(pg_store: PostgresEventStore) -> None:
    good, bad = [ticket_id() for _ in range(4)], ticket_id()
    refused = event(bad, 1, "Created", subject="nul \u0000 inside")  # jsonb cannot hold U+0000
    results = await asyncio.gather(
        *(pg_store.append(s, 0, events(s, 1, 1)) for s in good[:2]),
        pg_store.append(bad, 0, [refused]),
        *(pg_store.append(s, 0, events(s, 1, 1)) for s in good[2:]),
        return_exceptions=True,
    )
    assert isinstance(results[2], asyncpg.PostgresError)
    assert all(isinstance(r, list) for i, r in enumerate(results) if i != 2)
    assert await pg_store.read_stream(bad) == []
    for stream in good:
        assert len(await pg_store.read_stream(stream)) == 1


async def test_a_stuck_lock_holder_fails_the_batch_within_the_lock_timeout_and_writes_nothing(
    bounded_store: PostgresEventStore, migrated_url: str
) -> None:
    holder = await asyncpg.connect(migrated_url)
    streams = [ticket_id() for _ in range(3)]
    try:
        async with holder.transaction():
            await holder.execute("SELECT pg_advisory_xact_lock($1)", APPEND_LOCK)
            started = time.monotonic()
            results = await asyncio.gather(
                *(bounded_store.append(s, 0, events(s, 1, 1)) for s in streams), return_exceptions=True
            )
            waited = time.monotonic() - started
    finally:
        await holder.close()
    assert all(isinstance(r, StoreUnavailable) for r in results), results
    assert waited < FAST.lock + 2  # bounded by lock_timeout, not by the holder
    for stream in streams:
        assert await bounded_store.read_stream(stream) == []
    assert await bounded_store.append(streams[0], 0, events(streams[0], 1, 1))  # writes resume at once


async def test_a_writer_stopped_inside_its_transaction_loses_the_lock(
    bounded_store: PostgresEventStore, migrated_url: str
) -> None:
    """A client frozen (SIGSTOP) between statements while holding the append lock is cut off by the server."""
    stuck = await asyncpg.connect(migrated_url, server_settings=FAST.server_settings())
    try:
        transaction = stuck.transaction()
        await transaction.start()
        await stuck.execute("SELECT pg_advisory_xact_lock($1)", APPEND_LOCK)
        await asyncio.sleep(FAST.idle_in_transaction + 0.5)  # the client says nothing more
        stream = ticket_id()
        assert await bounded_store.append(stream, 0, events(stream, 1, 1))
    finally:
        stuck.terminate()


async def test_a_caller_cancelled_while_its_append_waits_writes_nothing(
    bounded_store: PostgresEventStore, migrated_url: str
) -> None:
    holder = await asyncpg.connect(migrated_url)
    first, given_up = ticket_id(), ticket_id()
    try:
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1)", APPEND_LOCK)
        in_flight = asyncio.create_task(bounded_store.append(first, 0, events(first, 1, 1)))
        await asyncio.sleep(0.1)  # its batch now waits for the lock
        queued = asyncio.create_task(bounded_store.append(given_up, 0, events(given_up, 1, 1)))
        await asyncio.sleep(0.05)
        queued.cancel()
        await transaction.rollback()
    finally:
        await holder.close()
    assert [e.version for e in await in_flight] == [1]
    with pytest.raises(asyncio.CancelledError):
        await queued
    await asyncio.sleep(0.1)
    assert await bounded_store.read_stream(given_up) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=st.lists(
        st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 2), st.sampled_from([None, "k1", "k2"])),
        min_size=1,
        max_size=8,
    ),
    recorded=st.integers(0, 2),
)
async def test_the_store_judges_a_batch_as_admit_specifies(
    pg_store: PostgresEventStore, plan: list[tuple[int, int, int, str | None]], recorded: int
) -> None:
    """Random batches over three streams (some already holding events) and two keys (one maybe recorded)."""
    streams = [ticket_id() for _ in range(3)]
    for stream, held in zip(streams, (recorded, 1, 0), strict=True):
        if held:
            await pg_store.append(stream, 0, events(stream, 1, held))
    prefix = ticket_id()
    if recorded:
        await pg_store.append(prefix, 0, events(prefix, 1, 1), response=response(prefix, "k1"))
    batch = [
        PendingAppend(streams[s], expected, events(streams[s], expected + 1, count), response(prefix, key))
        for s, expected, count, key in plan
    ]
    versions = {streams[0]: recorded, streams[1]: 1} if recorded else {streams[1]: 1}
    taken = {("alice", f"{prefix}-k1")} if recorded else set()
    expected_verdicts = [type(v).__name__ if v else "ok" for v in admit(batch, versions, taken)]
    await pg_store._write_batch(batch)
    verdicts = []
    for append in batch:
        error = append.outcome.exception()
        verdicts.append(type(error).__name__ if error else "ok")
    assert verdicts == expected_verdicts


def response(prefix: str, key: str | None) -> RecordedResponse | None:
    return RecordedResponse("alice", f"{prefix}-{key}", "hash", 200, {}) if key else None
