"""A partner's receiver (a real HTTP server) gets every event once or more, in order per ticket, each signature
verified with an independent implementation (``standardwebhooks``); it gets them after being down for a while, and
after the dispatcher was killed mid-way (duplicates only of deliveries whose outcome was not recorded)."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest
import redis

from tests.conftest import RedisNamespace
from tests.support.processes import free_port

from .conftest import Desk, wait_for
from .receiver import Receiver

pytestmark = pytest.mark.e2e

# Many short retries: a delivery keeps being tried through the receiver's downtime of a few seconds.
RETRIES = ",".join(["0.2", "0.5"] + ["1"] * 40)


def gauge(desk: Desk, sample: str) -> float:
    """A sample's value on the dispatcher's /metrics (0 when absent)."""
    for row in httpx.get(f"{desk.url}/metrics", timeout=10).text.splitlines():
        if row.startswith(sample + " "):
            return float(row.split()[-1])
    return 0.0


def firsts(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each message once, at its first arrival."""
    seen: set[str] = set()
    out = []
    for payload in payloads:
        key = payload["data"]["id"]
        if key not in seen:
            seen.add(key)
            out.append(payload)
    return out


def assert_in_order_per_ticket(payloads: list[dict[str, Any]]) -> None:
    by_ticket: dict[str, list[int]] = {}
    for payload in firsts([p for p in payloads if "version" in p["data"]]):
        by_ticket.setdefault(payload["data"]["ticket_id"], []).append(payload["data"]["version"])
    for ticket, versions in by_ticket.items():
        assert versions == sorted(versions), f"ticket {ticket} received out of order: {versions}"


def life(desk: Desk, count: int, subject: str) -> dict[str, int]:
    """``count`` tickets, each created, assigned and started: (ticket -> last version)."""
    tickets = {}
    for n in range(count):
        ticket = desk.create(f"{subject} {n}")["aggregate_id"]
        desk.fire("assign", ticket, assignee="bob")
        desk.fire("start_work", ticket)
        tickets[ticket] = 3
    return tickets


def expected(tickets: dict[str, int]) -> set[tuple[str, int]]:
    return {(ticket, version) for ticket, last in tickets.items() for version in range(1, last + 1)}


def got(receiver: Receiver, secret: str) -> set[tuple[str, int]]:
    return {(p["data"]["ticket_id"], p["data"]["version"]) for p in receiver.verified(secret) if "version" in p["data"]}


def test_every_event_arrives_signed_in_order_after_downtime_and_a_killed_dispatcher(
    desk_factory: Callable[..., Desk], receiver: Receiver, redis_namespace: RedisNamespace
) -> None:
    desk = desk_factory(WEBHOOKS_ALLOW_PRIVATE="true", WEBHOOKS_RETRY_SCHEDULE=RETRIES, WEBHOOKS_CONCURRENCY="4")
    endpoint, secret = desk.register(receiver.url)
    tickets = life(desk, 3, "Printer")
    wait_for(lambda: expected(tickets) <= got(receiver, secret), "the first tickets' events")

    # Down for a while: nothing is received, the deliveries are retried, then everything arrives.
    receiver.stop()
    later = life(desk, 2, "Scanner")
    tickets |= later

    def retrying() -> bool:
        log = desk.api("GET", f"/endpoints/{endpoint}/deliveries").json()["deliveries"]
        return any(d["status"] == "retrying" and d["attempts"] >= 2 for d in log)

    wait_for(retrying, "deliveries retried while the receiver is down")
    wait_for(lambda: gauge(desk, "ticket_webhook_pending_deliveries") > 0, "the pending deliveries gauge")
    time.sleep(1.5)
    receiver.start()
    wait_for(lambda: expected(tickets) <= got(receiver, secret), "the events sent while the receiver was down")

    # The dispatcher killed mid-way (SIGKILL): nothing lost; duplicates only of attempts not recorded.
    before = len(receiver.snapshot())
    receiver.delay = 0.5  # a slow partner: attempts are in flight when the dispatcher dies
    burst = life(desk, 4, "Router")
    tickets |= burst
    wait_for(lambda: len(receiver.snapshot()) > before, "the burst's first deliveries")
    desk.kill_webhooks()
    receiver.delay = 0.0
    desk.start_webhooks()
    wait_for(lambda: expected(tickets) <= got(receiver, secret), "every event after the restart", within=90)

    # A service-level alert in the timer's entry format reaches the receiver too.
    alert_ticket = next(iter(burst))
    plain = redis.Redis.from_url(redis_namespace.url, decode_responses=True)
    try:
        plain.xadd(
            redis_namespace.key("sla-alerts"),
            {
                "id": f"{alert_ticket}:resolution:breached:2026-11-28T10:00:00+00:00",
                "type": "ServiceLevelBreached",
                "ticket_id": alert_ticket,
                "clock": "resolution",
                "due_at": "2026-11-28T10:00:00+00:00",
                "warning_at": "2026-11-28T09:48:00+00:00",
                "raised_at": "2026-11-28T10:00:01+00:00",
                "priority": "high",
            },
        )
    finally:
        plain.close()
    wait_for(lambda: any(p["type"] == "ServiceLevelBreached" for p in receiver.verified(secret)), "the alert")
    plain = redis.Redis.from_url(redis_namespace.url, decode_responses=True)
    group_name = redis_namespace.key("webhooks")

    def acknowledged(stream: str) -> bool:
        info: dict[str, Any] = plain.xpending(stream, group_name)
        return int(info["pending"]) == 0

    try:  # one consumer group on both streams, nothing left unacknowledged
        for stream in (redis_namespace.key("events"), redis_namespace.key("sla-alerts")):
            assert [group["name"] for group in plain.xinfo_groups(stream)] == [group_name]
            wait_for(functools.partial(acknowledged, stream), f"every entry of {stream} acknowledged")
    finally:
        plain.close()

    payloads = receiver.verified(secret)  # every one verified by the independent implementation
    assert_in_order_per_ticket(payloads)
    events = [p for p in payloads if "version" in p["data"]]
    duplicates = len(events) - len({p["data"]["id"] for p in events})
    print(f"\nwebhooks e2e: {len(expected(tickets))} events, {len(events)} received, {duplicates} duplicates")
    assert {(p["data"]["ticket_id"], p["data"]["version"]) for p in events} == expected(tickets)
    assert duplicates <= 4  # at most the attempts in flight when the dispatcher was killed (WEBHOOKS_CONCURRENCY)
    ids = [r.id for r in receiver.snapshot()]
    assert all(i.startswith(("evt_", "alert_")) for i in ids)
    sample = events[0]
    assert set(sample) == {"type", "timestamp", "data"}
    assert set(sample["data"]) == {"id", "ticket_id", "type", "version", "timestamp", "data", "metadata", "position"}
    log = desk.api("GET", f"/endpoints/{endpoint}/deliveries", params={"limit": 500}).json()["deliveries"]
    assert {d["status"] for d in log} == {"delivered"}
    assert any(d["attempts"] >= 2 for d in log)  # the ones retried through the downtime
    assert gauge(desk, 'ticket_webhook_deliveries_total{outcome="delivered"}') >= 1  # the alert, since the restart
    assert gauge(desk, "ticket_webhook_delivery_duration_seconds_count") >= 1
    wait_for(lambda: gauge(desk, "ticket_webhook_pending_deliveries") == 0, "no delivery pending at the end")


def test_events_are_delivered_while_redis_is_down(desk_factory: Callable[..., Desk], receiver: Receiver) -> None:
    desk = desk_factory(WEBHOOKS_ALLOW_PRIVATE="true")
    desk.kill_webhooks()
    desk.start_webhooks("/health", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    assert httpx.get(f"{desk.url}/ready", timeout=10).status_code == 503  # it says so
    _, secret = desk.register(receiver.url)
    tickets = life(desk, 1, "Modem")
    wait_for(lambda: expected(tickets) <= got(receiver, secret), "the events, read from the event store")


def test_a_first_start_delivers_what_is_committed_once_it_is_up(
    desk_factory: Callable[..., Desk], receiver: Receiver
) -> None:
    """The very first start takes the store's position at once, not at its first round: what is committed after
    the dispatcher came up is delivered even when it is killed before it ever read the store."""
    desk = desk_factory(WEBHOOKS_ALLOW_PRIVATE="true")
    _, secret = desk.register(receiver.url)
    desk.kill_webhooks()
    asyncio.run(forget_the_start(desk.env["DATABASE_URL"]))  # as before the dispatcher's very first start
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"  # no consumer round, and no store round for a minute:
    desk.start_webhooks("/health", REDIS_URL=dead_redis, WEBHOOKS_POLL_SECONDS="60")
    starting = "not taken yet"  # what /ready says until the position is taken
    wait_for(lambda: starting not in httpx.get(f"{desk.url}/ready", timeout=10).text, "the position to start from")
    desk.kill_webhooks()
    tickets = life(desk, 1, "Scanner")
    desk.start_webhooks()
    wait_for(lambda: expected(tickets) <= got(receiver, secret), "the events committed after the first start")


async def forget_the_start(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM webhooks.checkpoints WHERE source = 'events'")
    finally:
        await conn.close()
