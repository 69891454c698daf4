"""The relay against real PostgreSQL and Redis: order, format, outages, flushes, rivals and trimming."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg
import redis.asyncio as aioredis

from tests.conftest import RedisNamespace
from tests.support.events import event, events
from tests.support.ids import ticket_id
from tests.support.waiting import eventually
from ticket_eventstore.postgres import PostgresEventStore
from ticket_eventstore.relay import StreamPublisher, StreamTrimmer
from ticket_workflow import Event

from .conftest import Relays
from .proxy import TcpProxy


async def append_tickets(store: PostgresEventStore, tickets: int, per_ticket: int = 2) -> list[Event]:
    written: list[Event] = []
    for _ in range(tickets):
        sid = ticket_id()
        written += await store.append(sid, 0, events(sid, 1, per_ticket))
    return written


async def entry_ids(redis: aioredis.Redis, stream: str) -> list[str]:
    return [entry_id for entry_id, _ in await redis.xrange(stream)]


def ids_of(written: list[Event]) -> list[str]:
    return [f"{e.position}-0" for e in written]


async def published(redis: aioredis.Redis, stream: str, written: list[Event]) -> None:
    async def done() -> bool:
        return await entry_ids(redis, stream) == ids_of(written)

    await eventually(done, what=f"publishing positions {written[0].position}..{written[-1].position}")


async def test_a_plain_redis_client_reads_the_documented_format(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str, relays: Relays
) -> None:
    relays.start()
    sid = ticket_id()
    [stored] = await pg_store.append(sid, 0, [event(sid, 1, "Created", subject="Ünïcode ✓")])
    await published(redis_client, stream, [stored])
    # What a consumer in any language does: XREAD from 0, plain string fields, JSON in data and metadata.
    [[name, [(entry_id, fields)]]] = await redis_client.xread({stream: "0"})
    assert (name, entry_id) == (stream, f"{stored.position}-0")
    assert set(fields) == {"type", "event_id", "stream_id", "version", "position", "timestamp", "data", "metadata"}
    assert fields["type"] == "Created"
    assert fields["event_id"] == stored.id
    assert fields["stream_id"] == sid
    assert (fields["version"], fields["position"]) == ("1", str(stored.position))
    assert datetime.fromisoformat(fields["timestamp"]) == stored.timestamp
    assert json.loads(fields["data"]) == stored.data
    assert json.loads(fields["data"])["subject"] == "Ünïcode ✓"
    metadata = json.loads(fields["metadata"])
    assert (metadata["actor"], metadata["roles"]) == ("bob", ["agent"])
    assert metadata["correlation_id"] == stored.metadata.correlation_id


async def test_events_are_published_in_global_order(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str, relays: Relays
) -> None:
    relays.start(batch_size=7)
    written = await append_tickets(pg_store, 20, 3)
    await published(redis_client, stream, written)


async def test_notifications_wake_the_relay_without_polling(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str, relays: Relays
) -> None:
    relay = relays.start(poll_interval=3600)
    await eventually(lambda: _true(relay.status.leader and relay.status.last_round_at is not None))
    written = await append_tickets(pg_store, 3)
    await published(redis_client, stream, written)  # only LISTEN/NOTIFY can have woken it


async def test_a_commit_held_open_is_not_skipped(
    migrated_url: str, pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str, relays: Relays
) -> None:
    """An append that has drawn its position but not committed yet, while later appends come in: the relay must
    publish it, in its place. (With positions assigned at insert and no append lock, the later events would
    commit first, be published, and the held one could never be added behind them.)"""
    admin = await asyncpg.connect(migrated_url)
    gate = 0x7E57
    slow = ticket_id()
    await admin.execute(
        f"""CREATE FUNCTION hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_xact_lock_shared({gate}); RETURN NEW; END $$;
            CREATE TRIGGER hold_commit AFTER INSERT ON events FOR EACH ROW
            WHEN (NEW.stream_id = '{slow}') EXECUTE FUNCTION hold_commit();"""
    )
    relays.start()
    first = await append_tickets(pg_store, 1)
    await published(redis_client, stream, first)
    await admin.execute("SELECT pg_advisory_lock($1)", gate)  # closes the gate
    held = asyncio.create_task(pg_store.append(slow, 0, events(slow, 1, 1)))
    await eventually(lambda: _waiting_on_gate(admin), what="the held append to reach the gate")
    later = [asyncio.create_task(append_tickets(pg_store, 1)) for _ in range(5)]
    await asyncio.sleep(0.5)  # give later appends and the relay every chance to overtake
    assert not held.done()
    await admin.execute("SELECT pg_advisory_unlock($1)", gate)
    written = first + await held + [e for task in later for e in await task]
    written.sort(key=lambda e: e.position or 0)
    assert written[len(first)].stream_id == slow  # the held append drew the first position after `first`
    await published(redis_client, stream, written)
    await admin.close()


async def _waiting_on_gate(admin: asyncpg.Connection) -> bool:
    waiting: int = await admin.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        0x7E57,
    )
    return waiting > 0


async def _true(value: bool) -> bool:
    return value


async def test_redis_down_mid_run_loses_nothing(
    pg_store: PostgresEventStore,
    redis_client: aioredis.Redis,
    redis_namespace: RedisNamespace,
    stream: str,
    relays: Relays,
) -> None:
    target = urlsplit(redis_namespace.url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    await proxy.start()
    relay = relays.start(redis_url=proxy.url)
    before = await append_tickets(pg_store, 3)
    await published(redis_client, stream, before)

    await proxy.stop()  # Redis "goes down" for the relay
    during = await append_tickets(pg_store, 5)  # appends keep succeeding
    await eventually(lambda: _true(relay.status.last_error is not None), what="the relay to notice the outage")
    assert await entry_ids(redis_client, stream) == ids_of(before)

    await proxy.start()  # and comes back
    after = await append_tickets(pg_store, 2)
    await published(redis_client, stream, before + during + after)
    await eventually(lambda: _true(relay.status.last_error is None and relay.status.lag == 0))
    await proxy.stop()


async def test_a_flushed_stream_is_republished_from_where_it_ends(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str, relays: Relays
) -> None:
    relays.start()
    before = await append_tickets(pg_store, 4)
    await published(redis_client, stream, before)
    await redis_client.delete(stream)  # Redis lost its data
    after = await append_tickets(pg_store, 2)
    await published(redis_client, stream, before + after)


async def test_two_relays_elect_one_publisher_and_publish_each_event_once(
    migrated_url: str, pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str, relays: Relays
) -> None:
    relays_ = [relays.start(), relays.start()]
    written = await append_tickets(pg_store, 10)
    await published(redis_client, stream, written)
    await eventually(lambda: _true(sum(r.status.leader for r in relays_) == 1), what="one leader")
    [leader] = [r for r in relays_ if r.status.leader]
    [standby] = [r for r in relays_ if not r.status.leader]
    assert standby.status.as_dict()["role"] == "standby"

    # The leader's lock connection dies: Postgres releases the lock, a relay (either) takes it again.
    admin = await asyncpg.connect(migrated_url)
    killed = await admin.fetchval(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND objid = $1 AND pid <> pg_backend_pid() "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        leader.settings.lock_key & 0xFFFFFFFF,
    )
    await admin.close()
    assert killed == 1
    more = await append_tickets(pg_store, 5)
    await published(redis_client, stream, written + more)
    await eventually(lambda: _true(sum(r.status.leader for r in relays_) == 1), what="one leader again")

    # The leader's process dies: the other one takes over.
    [leader] = [r for r in relays_ if r.status.leader]
    [standby] = [r for r in relays_ if not r.status.leader]
    await relays.stop(leader)
    await eventually(lambda: _true(standby.status.leader), what="the standby to take over")
    last = await append_tickets(pg_store, 5)
    await published(redis_client, stream, written + more + last)


async def test_rival_publishers_without_election_still_publish_each_event_once(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> None:
    written = await append_tickets(pg_store, 30)
    publishers = [StreamPublisher(pg_store, redis_client, stream, batch_size=5) for _ in range(4)]
    added = await asyncio.gather(*(p.publish_pending() for p in publishers))
    assert sum(added) == len(written)
    assert await entry_ids(redis_client, stream) == ids_of(written)
    assert await publishers[0].publish_pending() == 0


async def published_with_a_lagging_group(
    store: PostgresEventStore, redis: aioredis.Redis, stream: str
) -> tuple[list[Event], list[tuple[str, dict[str, str]]]]:
    """20 events on the stream; group ``projector`` has read 8 and acknowledged 5: entries 6 to 8 are pending."""
    written = await append_tickets(store, 10)
    await StreamPublisher(store, redis, stream).publish_pending()
    await redis.xgroup_create(stream, "projector", id="0")
    [[_, delivered]] = await redis.xreadgroup("projector", "c1", {stream: ">"}, count=8)
    await redis.xack(stream, "projector", *[entry_id for entry_id, _ in delivered[:5]])
    return written, delivered


async def test_trimming_keeps_what_a_consumer_group_still_needs(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> None:
    written, delivered = await published_with_a_lagging_group(pg_store, redis_client, stream)
    trimmer = StreamTrimmer(pg_store, redis_client, stream, max_len=4)
    last = written[-1].position or 0
    await trimmer.trim(last)
    assert await entry_ids(redis_client, stream) == ids_of(written[5:])  # not down to 4: entry 6 is pending

    await redis_client.xack(stream, "projector", *[entry_id for entry_id, _ in delivered[5:]])
    await trimmer.trim(last)
    assert await entry_ids(redis_client, stream) == ids_of(written[8:])  # next undelivered entry is the 9th

    [[_, rest]] = await redis_client.xreadgroup("projector", "c1", {stream: ">"})
    await redis_client.xack(stream, "projector", *[entry_id for entry_id, _ in rest])
    await trimmer.trim(last)
    assert await entry_ids(redis_client, stream) == ids_of(written[-4:])


async def test_trimming_by_age_uses_the_event_times(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> None:
    now = datetime.now(UTC)
    old, new = ticket_id(), ticket_id()
    aged = [
        e.model_copy(update={"timestamp": now - timedelta(days=3), "id": str(uuid.uuid4())}) for e in events(old, 1, 3)
    ]
    fresh = [e.model_copy(update={"timestamp": now}) for e in events(new, 1, 2)]
    written = await pg_store.append(old, 0, aged) + await pg_store.append(new, 0, fresh)
    await StreamPublisher(pg_store, redis_client, stream).publish_pending()
    removed = await StreamTrimmer(pg_store, redis_client, stream, max_age=24 * 3600).trim(written[-1].position or 0)
    assert removed == 3
    assert await entry_ids(redis_client, stream) == ids_of(written[3:])
    assert await pg_store.read_stream(old) == written[:3]  # the event store keeps everything


async def test_the_running_relay_trims_but_keeps_what_a_group_still_needs(
    pg_store: PostgresEventStore,
    redis_client: aioredis.Redis,
    redis_namespace: RedisNamespace,
    stream: str,
    relays: Relays,
) -> None:
    """Trimming as the service runs it: inside the relay loop, on a client that gets bytes back."""
    written, delivered = await published_with_a_lagging_group(pg_store, redis_client, stream)

    relays.start(redis_namespace.url, decode_responses=False, trim_max_len=3, trim_interval=0.05)
    written += await append_tickets(pg_store, 5)
    await published_from(redis_client, stream, written[-1])

    async def trimmed() -> bool:
        return (await entry_ids(redis_client, stream))[0] != ids_of(written[:1])[0]

    await eventually(trimmed, what="the relay to trim the stream")
    assert await entry_ids(redis_client, stream) == ids_of(written[5:])  # stops at the oldest pending entry
    pending = await redis_client.xpending_range(stream, "projector", "-", "+", 10)
    assert [p["message_id"] for p in pending] == ids_of(written[5:8])

    await redis_client.xack(stream, "projector", *[entry_id for entry_id, _ in delivered[5:]])

    async def trimmed_to_the_next_undelivered() -> bool:
        return await entry_ids(redis_client, stream) == ids_of(written[8:])

    await eventually(trimmed_to_the_next_undelivered, what="trimming up to the first undelivered entry")
    [[_, rest]] = await redis_client.xreadgroup("projector", "c1", {stream: ">"})
    assert [entry_id for entry_id, _ in rest] == ids_of(written[8:])  # the group misses nothing


async def published_from(redis: aioredis.Redis, stream: str, last: Event) -> None:
    async def done() -> bool:
        entries = await redis.xrevrange(stream, count=1)
        return bool(entries) and entries[0][0] == f"{last.position}-0"

    await eventually(done, what=f"publishing up to position {last.position}")


async def test_a_group_created_behind_the_cut_keeps_its_entries(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> None:
    """The floor is read inside the trim: a group that starts from the beginning keeps the whole stream."""
    written = await append_tickets(pg_store, 5)
    await StreamPublisher(pg_store, redis_client, stream).publish_pending()
    await redis_client.xgroup_create(stream, "late-reader", id="0")
    await StreamTrimmer(pg_store, redis_client, stream, max_len=2).trim(written[-1].position or 0)
    assert await entry_ids(redis_client, stream) == ids_of(written)


async def test_a_page_is_one_round_trip_and_a_refused_entry_stops_it_without_a_gap(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> None:
    written = await append_tickets(pg_store, 5)
    publisher = StreamPublisher(pg_store, redis_client, stream, batch_size=500)
    calls = 0
    script = publisher._add_script

    async def counted(**kwargs: object) -> object:
        nonlocal calls
        calls += 1
        return await script(**kwargs)  # type: ignore[arg-type]

    publisher._add_script = counted  # type: ignore[assignment]
    assert await publisher.publish_pending() == len(written)
    assert calls == 1

    # Entries 1-2 are republished (skipped), 3 is refused: 4 must not be added behind the missing 3.
    later = await append_tickets(pg_store, 2)
    args: list[str] = ["0"]  # no check of where the stream ends
    for position, entry in [(1, "1-0"), (2, "2-0"), (later[0].position, "not-an-id"), (later[1].position, None)]:
        args += [entry or f"{position}-0", "1", "type", "Created"]
    reply = await script(keys=[stream], args=args)
    assert reply[0] == 0 and "Invalid stream ID" in reply[1]
    assert await entry_ids(redis_client, stream) == ids_of(written)


async def test_a_stream_deleted_mid_publish_is_republished_without_a_hole(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> None:
    """A ``DEL`` between two pages used to let the next page recreate the stream from a later position."""
    written = await append_tickets(pg_store, 6)
    publisher = StreamPublisher(pg_store, redis_client, stream, batch_size=4)
    read_all, pages = pg_store.read_all, 0

    async def deleting_after_the_first_page(after: int, limit: int) -> list[Event]:
        nonlocal pages
        pages += 1
        if pages == 2:
            await redis_client.delete(stream)  # lost while the relay is between pages
        return await read_all(after, limit)

    pg_store.read_all = deleting_after_the_first_page  # type: ignore[method-assign]
    await publisher.publish_pending()
    assert await entry_ids(redis_client, stream) == ids_of(written)


async def test_a_lost_stream_is_republished_within_the_trim_window_only(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> None:
    written = await append_tickets(pg_store, 10)  # 20 events
    trimmer = StreamTrimmer(pg_store, redis_client, stream, max_len=5)
    publisher = StreamPublisher(pg_store, redis_client, stream, batch_size=3, trimmer=trimmer)
    await publisher.publish_pending()
    await trimmer.trim(written[-1].position or 0)
    await redis_client.delete(stream)
    lengths: list[int] = []
    add = publisher._add_script

    async def measured(**kwargs: object) -> object:
        reply = await add(**kwargs)  # type: ignore[arg-type]
        lengths.append(await redis_client.xlen(stream))
        return reply

    publisher._add_script = measured  # type: ignore[assignment]
    assert await publisher.publish_pending() == 5  # the window only: nothing below it is added and trimmed again
    assert await entry_ids(redis_client, stream) == ids_of(written[-5:])
    assert max(lengths) <= 5 + 3  # the window and one page, never all history


async def test_a_stream_recreated_behind_the_published_end_is_refilled_and_ready_tells_the_lag(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str, relays: Relays
) -> None:
    """Deleted, then recreated empty by a consumer group (``MKSTREAM``) and fed again by later events."""
    relay = relays.start()
    before = await append_tickets(pg_store, 4)
    await published(redis_client, stream, before)
    await redis_client.delete(stream)
    await redis_client.xgroup_create(stream, "late-reader", id="0", mkstream=True)
    after = await append_tickets(pg_store, 3)
    await published(redis_client, stream, before + after)
    await eventually(lambda: _true(relay.status.lag == 0 and relay.status.last_error is None), what="lag 0")


async def test_liveness_fails_once_the_relay_task_has_died(
    pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> None:
    """``/health`` is what restarts a replica: it must fail when the relay task ended, not only ``/ready``."""
    import httpx

    from ticket_command import health
    from ticket_eventstore.relay import Relay
    from ticket_service.shell import add_checks, create_shell

    async def broken() -> asyncpg.Connection:
        raise SystemError("not a database error")

    relay = Relay(broken, pg_store, redis_client)
    died = asyncio.create_task(asyncio.sleep(0), name="relay")
    task = health.Opened[tuple[Relay, asyncio.Task[None]]]("the relay")
    app = create_shell(title="command", version="0")
    add_checks(app, [health.relay_check(task)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        await died
        with task.holding((relay, died)):
            answer = await client.get("/health")
        assert answer.status_code == 503 and "relay" in answer.json()["message"]
        running = asyncio.create_task(relay.run(), name="relay")
        with task.holding((relay, running)):
            await asyncio.sleep(0.2)  # an unexpected error while campaigning is retried, not fatal
            assert not running.done()
            assert (await client.get("/health")).status_code == 200
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        with task.holding((relay, running)):
            assert (await client.get("/health")).status_code == 200  # stopped at shutdown: not a death


async def test_a_frozen_leader_loses_the_lock_within_its_idle_timeout(
    migrated_url: str, pg_store: PostgresEventStore, redis_client: aioredis.Redis, stream: str
) -> None:
    """A SIGSTOPped leader's host still answers keepalives: only the server's idle timeout frees the lock."""
    from ticket_eventstore.relay import Relay, RelaySettings

    settings = RelaySettings(stream=stream, leader_idle_timeout=1.0, lock_key=0x5EED_00F0)
    frozen = await Relay.for_dsn(migrated_url, pg_store, redis_client, settings).connect()
    rival = await asyncpg.connect(migrated_url)
    try:
        assert await frozen.fetchval("SELECT pg_try_advisory_lock($1)", settings.lock_key)
        assert not await rival.fetchval("SELECT pg_try_advisory_lock($1)", settings.lock_key)
        await asyncio.sleep(1.5)  # the leader says nothing: frozen
        assert await rival.fetchval("SELECT pg_try_advisory_lock($1)", settings.lock_key)
    finally:
        frozen.terminate()
        await rival.close()
