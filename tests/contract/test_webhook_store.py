"""One suite, both webhooks storage adapters (the port in ``ticket_webhooks.ports``): PostgreSQL (the distributed
dispatcher) and SQLite (the embedded mode's file). The queue's rules and the admin API's answers are the same."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.events import event
from ticket_eventstore import migrations
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_migrations import sqlite as sqlite_migrations
from ticket_migrations.postgres import apply
from ticket_webhooks.endpoints import Endpoints
from ticket_webhooks.migrations import WEBHOOKS, sqlite_webhooks_migrations, webhooks_migrations
from ticket_webhooks.ports import DeliveryQueue, EndpointStore
from ticket_webhooks.queue import Outcome, Policy, Queue
from ticket_webhooks.sqlite_endpoints import SqliteEndpoints
from ticket_webhooks.sqlite_queue import SqliteQueue
from ticket_workflow import Event

OK = Outcome(True, 204, 3.0, "")
DOWN = Outcome(False, 500, 3.0, "boom")
POLICY = Policy(failures=20, hours=24)
ALERT = {"id": "t-a:resolution:breached:2026-01-01T00:00:00+00:00", "type": "ServiceLevelBreached"}


@dataclass
class Desk:
    store: Any
    queue: DeliveryQueue
    endpoints: EndpointStore

    async def append(self, *lives: tuple[str, int]) -> list[Event]:
        """Versions 1..n of each (ticket, n), interleaved by version."""
        stored: list[Event] = []
        for version in range(1, max(n for _, n in lives) + 1):
            for ticket, n in lives:
                if version <= n:
                    stored += await self.store.append(ticket, version - 1, [event(ticket, version)])
        return stored

    async def endpoint(self, url: str, types: list[str] | None = None, from_position: int = 0) -> dict[str, Any]:
        endpoint_id = Endpoints.new_id()
        return await self.endpoints.create(
            url=url,
            event_types=types or ["*"],
            description="d",
            sealed=b"\x01sealed-" + endpoint_id.encode(),
            endpoint_id=endpoint_id,
            actor="ada",
            from_position=from_position,
        )


class WebhookStoreContract:
    async def test_events_become_deliveries_once_with_the_checkpoint(self, desk: Desk) -> None:
        assert await desk.queue.checkpoint() is None
        late = await desk.endpoint("http://127.0.0.1:9/late", from_position=1)  # registered after the first event
        created = await desk.endpoint("http://127.0.0.1:9/created", ["Created"])
        events = await desk.append(("t-a", 3))
        system = await desk.store.append("$sla-policy", 0, [event("$sla-policy", 1)])
        await desk.queue.start_at(0)
        await desk.queue.start_at(99)  # only the first start sets it
        assert await desk.queue.ingest_events(events[:2], 2) == 1 + 1
        assert await desk.queue.checkpoint() == 2
        assert await desk.queue.ingest_events(events + system, system[-1].position or 0) == 1  # the third, once
        assert await desk.queue.checkpoint() == system[-1].position
        assert await desk.queue.open_count() == 3
        log = await desk.endpoints.deliveries(late["id"], 10)
        assert [(d["position"], d["status"], d["replay"], d["ticket_id"]) for d in log] == [
            (3, "pending", 0, "t-a"),
            (2, "pending", 0, "t-a"),
        ]
        assert log[0]["id"] == f"evt_{events[2].id}" and log[0]["next_attempt_at"] is not None
        assert [d["event_type"] for d in await desk.endpoints.deliveries(created["id"], 10)] == ["Created"]

    async def test_one_delivery_at_a_time_per_ticket_and_endpoint_every_ticket_at_once(self, desk: Desk) -> None:
        first = (await desk.endpoint("http://127.0.0.1:9/a"))["id"]
        await desk.endpoint("http://127.0.0.1:9/b", ["Created"])
        events = await desk.append(("t-a", 3), ("t-b", 2))
        await desk.queue.start_at(0)
        assert await desk.queue.ingest_events(events, events[-1].position or 0) == 5 + 2
        heads = await desk.queue.claim(50, 60)
        assert sorted((c.endpoint_id == first, c.ticket_id, c.position) for c in heads) == sorted(
            [(True, "t-a", 1), (True, "t-b", 2), (False, "t-a", 1), (False, "t-b", 2)]
        )
        assert await desk.queue.claim(50, 60) == []  # the heads are leased, the rest wait behind them
        a1 = next(c for c in heads if c.endpoint_id == first and c.ticket_id == "t-a")
        assert a1.secret.startswith(b"\x01sealed-") and a1.url.endswith("/a")
        await desk.queue.record(a1, DOWN, 0.0, POLICY)  # to be retried: the next of t-a still waits
        again = await desk.queue.claim(50, 60)
        assert [(c.seq, c.attempts) for c in again] == [(a1.seq, 1)]
        await desk.queue.record(again[0], DOWN, None, POLICY)  # finally failed: the next of t-a may go
        assert [(c.ticket_id, c.position) for c in await desk.queue.claim(50, 60)] == [("t-a", 3)]
        b1 = next(c for c in heads if c.endpoint_id == first and c.ticket_id == "t-b")
        await desk.queue.release(b1)  # given back unattempted
        assert [c.seq for c in await desk.queue.claim(50, 60)] == [b1.seq]

    async def test_a_retry_waits_its_delay_and_the_log_shows_each_outcome(self, desk: Desk) -> None:
        endpoint = (await desk.endpoint("http://127.0.0.1:9/a"))["id"]
        events = await desk.append(("t-a", 1))
        await desk.queue.start_at(0)
        await desk.queue.ingest_events(events, 1)
        [claimed] = await desk.queue.claim(5, 60)
        await desk.queue.record(claimed, DOWN, 3600.0, POLICY)
        assert await desk.queue.claim(5, 60) == []  # not due for an hour
        [row] = await desk.endpoints.deliveries(endpoint, 5)
        assert (row["status"], row["attempts"], row["http_status"], row["response_excerpt"]) == (
            "retrying",
            1,
            500,
            "boom",
        )
        assert datetime.fromisoformat(row["next_attempt_at"]) > datetime.fromisoformat(row["last_attempt_at"])
        assert await desk.queue.open_count() == 1

    async def test_an_alert_is_queued_once_however_often_it_is_read(self, desk: Desk) -> None:
        breaches = (await desk.endpoint("http://127.0.0.1:9/a", ["ServiceLevelBreached"]))["id"]
        await desk.endpoint("http://127.0.0.1:9/b", ["Created"])
        fields = {**ALERT, "ticket_id": "t-a", "raised_at": "2026-01-01T00:00:01+00:00"}
        assert await desk.queue.ingest_alert("1", fields) == 1
        assert await desk.queue.ingest_alert("1", fields) == 0
        assert await desk.queue.ingest_alert("2", {"type": "Nonsense", "id": "x"}) == 0
        [claimed] = await desk.queue.claim(5, 60)
        assert (claimed.endpoint_id, claimed.position, claimed.ticket_id) == (breaches, None, "t-a")
        assert claimed.alert == fields and claimed.message_id.startswith("alert_")

    async def test_a_run_of_final_failures_disables_and_re_enabling_clears_it(self, desk: Desk) -> None:
        endpoint = (await desk.endpoint("http://127.0.0.1:9/a"))["id"]
        events = await desk.append(("t-a", 1), ("t-b", 1), ("t-c", 1))
        await desk.queue.start_at(0)
        await desk.queue.ingest_events(events, 3)
        first, second, third = await desk.queue.claim(5, 60)
        policy = Policy(failures=2, hours=24)
        assert await desk.queue.record(first, DOWN, None, policy) is None
        assert await desk.queue.record(second, OK, None, policy) is None  # a success resets the run
        assert (await desk.endpoints.get(endpoint) or {})["failure_streak"] == 0
        assert await desk.queue.record(first, DOWN, None, policy) is None
        reason = await desk.queue.record(third, DOWN, None, policy)
        assert reason is not None and "2 deliveries" in reason
        shown = await desk.endpoints.get(endpoint) or {}
        assert (shown["enabled"], shown["disabled_reason"], shown["failure_streak"]) == (False, reason, 2)
        assert shown["last_delivery_at"] is not None and await desk.endpoints.disabled_count() == 1
        more = await desk.append(("t-d", 1))
        assert await desk.queue.ingest_events(more, 4) == 0  # nothing is queued while disabled
        enabled = await desk.endpoints.update(endpoint, {"enabled": True})
        assert enabled is not None and (enabled["enabled"], enabled["disabled_reason"], enabled["failure_streak"]) == (
            True,
            None,
            0,
        )

    async def test_endpoints_are_kept_changed_listed_and_deleted(self, desk: Desk) -> None:
        made = await desk.endpoint("http://127.0.0.1:9/a", ["Created", "Assigned"])
        assert set(made) == {
            "id",
            "url",
            "event_types",
            "description",
            "enabled",
            "disabled_reason",
            "failure_streak",
            "created_at",
            "created_by",
            "last_delivery_at",
        }
        assert (made["event_types"], made["enabled"], made["created_by"]) == (["Created", "Assigned"], True, "ada")
        changed = await desk.endpoints.update(made["id"], {"url": "http://127.0.0.1:9/b", "event_types": ["*"]})
        assert changed is not None and (changed["url"], changed["event_types"]) == ("http://127.0.0.1:9/b", ["*"])
        off = await desk.endpoints.update(made["id"], {"enabled": False})
        assert off is not None and off["disabled_reason"] == "disabled by an admin"
        other = await desk.endpoint("http://127.0.0.1:9/c")
        assert [e["id"] for e in await desk.endpoints.all()] == [made["id"], other["id"]]
        assert await desk.endpoints.update("ep_unknown", {"enabled": True}) is None
        assert await desk.endpoints.delete(made["id"]) and not await desk.endpoints.delete(made["id"])
        assert await desk.endpoints.get(made["id"]) is None

    async def test_redelivery_queues_the_subscribed_events_again_as_the_next_replay(self, desk: Desk) -> None:
        endpoint = (await desk.endpoint("http://127.0.0.1:9/a", ["Created"]))["id"]
        events = await desk.append(("t-a", 2), ("t-b", 1))
        system = await desk.store.append("$sla-policy", 0, [event("$sla-policy", 1)])
        assert await desk.endpoints.redeliver(endpoint, ["Created"], events + system) == 2
        assert await desk.endpoints.redeliver(endpoint, ["Created"], events[:1]) == 1
        log = await desk.endpoints.deliveries(endpoint, 10)
        assert [(d["replay"], d["position"]) for d in log] == [(2, 1), (1, 2), (1, 1)]
        assert log[0]["id"] == log[2]["id"] == f"evt_{events[0].id}"
        assert len(await desk.queue.claim(10, 60)) == 2  # one per ticket


class TestPostgresWebhookStore(WebhookStoreContract):
    @pytest.fixture
    async def desk(self, database_url: str) -> AsyncIterator[Desk]:
        pool = await create_pool(database_url, max_size=4)
        async with pool.acquire() as conn:
            await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
            await apply(conn, WEBHOOKS, webhooks_migrations())
        try:
            yield Desk(PostgresEventStore(pool), Queue(pool), Endpoints(pool))
        finally:
            await pool.close()


class TestSqliteWebhookStore(WebhookStoreContract):
    @pytest.fixture
    async def desk(self, tmp_path: Path) -> AsyncIterator[Desk]:
        db = await SqliteDatabase.open(str(tmp_path / "desk.db"))
        store = await SqliteEventStore.create(db)
        await sqlite_migrations.apply(db, WEBHOOKS, sqlite_webhooks_migrations())
        assert await sqlite_migrations.apply(db, WEBHOOKS, sqlite_webhooks_migrations()) == []  # applied once
        try:
            yield Desk(store, SqliteQueue(db), SqliteEndpoints(db))
        finally:
            await db.close()
