"""The command API on the real PostgreSQL store: races, idempotency under concurrency, readiness, outages,
and the relay running inside the app."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import asyncpg
import redis.asyncio as aioredis

from tests.conftest import RedisNamespace
from tests.support.command_api import Desk, bearer, serving, settings
from tests.support.waiting import eventually
from ticket_command.app import create_app
from ticket_eventstore.postgres import PostgresEventStore

from .proxy import free_port


def pg_settings(database_url: str, **overrides: Any) -> Any:
    return settings(database_url=database_url, db_pool_max_size=20, **overrides)


async def test_fifty_concurrent_requests_one_wins(migrated_url: str, pg_store: PostgresEventStore) -> None:
    async with serving(create_app(pg_settings(migrated_url))) as client:
        desk = Desk(client)
        ticket = (await desk.create())["aggregate_id"]

        async def race(transition: str) -> Counter[int]:
            answers = await asyncio.gather(*(desk.fire(transition, ticket, desk.agent) for _ in range(50)))
            for answer in answers:
                if answer.status_code == 409:
                    assert answer.json()["code"] in ("version_conflict", "transition_not_enabled")
            return Counter(a.status_code for a in answers)

        assert await race("assign") == {200: 1, 409: 49}  # the ticket's first transition
        assert (await desk.fire("start_work", ticket, desk.agent)).status_code == 200
        assert await race("resolve") == {200: 1, 409: 49}
    events = await pg_store.read_stream(ticket)
    assert [e.version for e in events] == [1, 2, 3, 4]
    assert [e.type for e in events] == ["Created", "Assigned", "StartWorked", "Resolveed"]


async def test_concurrent_retries_with_one_key_write_once(migrated_url: str, pg_store: PostgresEventStore) -> None:
    async with serving(create_app(pg_settings(migrated_url))) as client:
        desk = Desk(client)
        ticket = (await desk.create())["aggregate_id"]
        headers = {**desk.agent, "Idempotency-Key": "retry-storm"}
        answers = await asyncio.gather(
            *(client.post("/api/assign", headers=headers, json={"aggregate_id": ticket}) for _ in range(20))
        )
        assert {a.status_code for a in answers} == {200}
        assert len({json.dumps(a.json(), sort_keys=True) for a in answers}) == 1
        assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 19
        created = await asyncio.gather(
            *(
                client.post("/api/support-ticket", headers={**desk.customer, "Idempotency-Key": "new-1"})
                for _ in range(10)
            )
        )
        assert {a.status_code for a in created} == {201}
        assert len({a.json()["aggregate_id"] for a in created}) == 1
    assert [e.type for e in await pg_store.read_stream(ticket)] == ["Created", "Assigned"]
    assert await pg_store.last_position() == 3


async def test_ready_needs_migrations_and_commands_need_the_schema(database_url: str) -> None:
    async with serving(create_app(pg_settings(database_url))) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["postgres"] == "ok"
        pending = ["001_event_store", "002_idempotency_body_as_sent", "003_append_batch"]
        assert ready.json()["checks"]["migrations"] == {"pending": pending}
        refused = await client.post("/api/support-ticket", headers=bearer("alice", "customer"))
        assert (refused.status_code, refused.json()["code"]) == (503, "store_not_migrated")
    async with serving(create_app(pg_settings(database_url, migrate_on_start=True))) as client:
        assert (await client.get("/ready")).status_code == 200
        assert (await client.post("/api/support-ticket", headers=bearer("alice", "customer"))).status_code == 201


async def test_an_unreachable_database_is_503(migrated_url: str) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"
    async with serving(create_app(pg_settings(nowhere, db_connect_timeout=2))) as client:
        for path, body in [("/api/support-ticket", None), ("/api/assign", {"aggregate_id": "x"})]:
            response = await client.post(path, headers=bearer("bob", "agent"), json=body)
            assert (response.status_code, response.json()["code"]) == (503, "store_unavailable"), response.text
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert "error" in ready.json()["checks"]["postgres"]
        assert (await client.get("/health")).status_code == 200


async def test_the_app_relays_committed_events_to_the_stream(
    migrated_url: str, redis_namespace: RedisNamespace, redis_client: aioredis.Redis
) -> None:
    stream = redis_namespace.key("app-events")
    app = create_app(
        pg_settings(
            migrated_url,
            redis_url=redis_namespace.url,
            event_stream=stream,
            relay_enabled=True,
            relay_poll_interval=0.2,
            relay_election_interval=0.2,
        )
    )
    async with serving(app) as client:
        desk = Desk(client)
        created = await desk.create(subject="Relay me")
        assigned = (await desk.fire("assign", created["aggregate_id"], desk.agent)).json()

        async def both_published() -> bool:
            return len(await redis_client.xrange(stream)) == 2

        await eventually(both_published, what="the app's relay to publish")
        [(first_id, first), (second_id, second)] = await redis_client.xrange(stream)
        assert (first_id, second_id) == (f"{created['position']}-0", f"{assigned['position']}-0")
        assert (first["type"], second["type"]) == ("Created", "Assigned")
        assert json.loads(first["data"])["subject"]["$enc"].startswith("v1:")  # personal data travels sealed
        assert "Relay me" not in json.dumps(first)

        async def relay_caught_up() -> bool:
            # The status is taken after each round's publish: it may still show the round before the last entry.
            relay = (await client.get("/ready")).json()["checks"]["relay"]
            return bool(relay["role"] == "leader" and relay["published_position"] == assigned["position"])

        await eventually(relay_caught_up, what="/ready to report the relay as leader, caught up")
        ready = await client.get("/ready")
        assert ready.status_code == 200
        assert ready.json()["checks"]["relay"]["lag"] == 0


async def test_commands_succeed_while_redis_is_unreachable(migrated_url: str, redis_namespace: RedisNamespace) -> None:
    app = create_app(
        pg_settings(
            migrated_url,
            redis_url=f"redis://127.0.0.1:{free_port()}/0",
            event_stream=redis_namespace.key("events"),
            relay_enabled=True,
            relay_poll_interval=0.1,
            relay_max_backoff=0.2,
        )
    )
    async with serving(app) as client:
        desk = Desk(client)
        ticket = (await desk.create())["aggregate_id"]
        assert (await desk.fire("assign", ticket, desk.agent)).status_code == 200

        async def relay_reports_the_outage() -> bool:
            relay = (await client.get("/ready")).json()["checks"]["relay"]
            return relay["last_error"] is not None and relay["role"] == "leader"

        await eventually(relay_reports_the_outage, what="the relay to report Redis unreachable")
        ready = await client.get("/ready")
        assert ready.status_code == 200  # commands are still accepted: the relay will catch up
    conn = await asyncpg.connect(migrated_url)
    assert await conn.fetchval("SELECT count(*) FROM events") == 2
    await conn.close()


async def test_a_retry_gets_the_original_answer_byte_for_byte_and_writes_nothing(
    migrated_url: str, pg_store: PostgresEventStore
) -> None:
    """The stored answer is replayed as it was sent (the places of ``state`` in net order), for a create too."""
    async with serving(create_app(pg_settings(migrated_url))) as client:
        desk = Desk(client)
        create = {**desk.customer, "Idempotency-Key": "create-once"}
        first = await client.post("/api/support-ticket", headers=create, json={"subject": "VPN", "priority": "high"})
        ticket = first.json()["aggregate_id"]
        assign = {**desk.agent, "Idempotency-Key": "assign-once"}
        assigned = await client.post("/api/assign", headers=assign, json={"aggregate_id": ticket})
        written = await pg_store.last_position()
        create_again = await client.post(
            "/api/support-ticket", headers=create, json={"priority": "high", "subject": "VPN"}
        )
        assign_again = await client.post("/api/assign", headers=assign, json={"aggregate_id": ticket})
        reused = await client.post("/api/support-ticket", headers=create, json={"subject": "Another"})
    assert (create_again.status_code, create_again.content) == (201, first.content)
    assert (assign_again.status_code, assign_again.content) == (200, assigned.content)
    assert list(create_again.json()["state"])[:2] == ["new", "assigned"]
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert await pg_store.last_position() == written
    assert [e.type for e in await pg_store.read_stream(ticket)] == ["Created", "Assigned"]
