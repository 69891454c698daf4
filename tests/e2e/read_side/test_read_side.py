"""The projector and the query API as real processes: events written to the store and published to the stream
become visible through HTTP (with read-your-writes) and Server-Sent Events, to the right callers only."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from tests.conftest import RedisNamespace
from tests.support.processes import terminate
from tests.support.scenarios import Ticket
from ticket_eventstore import migrations, stream
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_privacy.postgres import COMPONENT as PRIVACY
from ticket_privacy.postgres import privacy_migrations
from ticket_service.auth import mint_token
from ticket_workflow import Event

SECRET = "end-to-end-secret-end-to-end-secret"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def auth(sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, list(roles))}"}


@contextlib.contextmanager
def service(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=os.environ | env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            terminate(process)


async def until_ok(url: str, log: Path, *, within: float = 60.0) -> None:
    """Wait for a started service to answer 200 (a bound against hanging); show its log when it never does."""
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(within):
            while not await _answers(http, url):  # noqa: ASYNC110 - polls another process
                await asyncio.sleep(0.1)
    except TimeoutError:
        output = await asyncio.to_thread(log.read_text)
        raise AssertionError(f"{url} never answered 200; log:\n{output}") from None


async def _answers(http: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await http.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
async def stack(database_url: str, redis_namespace: RedisNamespace, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    pool = await create_pool(database_url, max_size=2)
    async with pool.acquire() as conn:
        await migrations.apply(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        await migrations.apply(conn, PRIVACY, privacy_migrations())  # personal data keys
    projector_port, query_port = free_port(), free_port()
    common = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_namespace.url,
        "EVENT_STREAM": redis_namespace.key("events"),
        "PROJECTOR_GROUP": redis_namespace.key("projector"),
        "CONSUMER_NAME": redis_namespace.key("replica"),
        "READ_MODEL_SCHEMA": "read_model",
        "JWT_SECRET": SECRET,
        "HOST": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    redis = aioredis.from_url(redis_namespace.url)
    with (
        service(
            [str(BIN / "ticket-projector"), "run"], common | {"PORT": str(projector_port)}, tmp_path / "projector.log"
        ),
        service(
            [str(BIN / "ticket-query-api"), "serve"],
            common | {"PORT": str(query_port), "LOG_LEVEL": "INFO"},  # with the access log
            tmp_path / "query.log",
        ),
    ):
        await until_ok(f"http://127.0.0.1:{projector_port}/ready", tmp_path / "projector.log")
        await until_ok(f"http://127.0.0.1:{query_port}/ready", tmp_path / "query.log")
        yield {
            "store": PostgresEventStore(pool),
            "redis": redis,
            "stream": redis_namespace.key("events"),
            "query": f"http://127.0.0.1:{query_port}",
            "query_log": tmp_path / "query.log",
        }
    await redis.aclose()
    await pool.close()


async def write(stack: dict[str, Any], events: list[Event]) -> int:
    """What the command API and the relay do: append, then publish each committed event."""
    position = 0
    for event in events:
        [stored] = await stack["store"].append(event.stream_id, event.version - 1, [event])
        await stack["redis"].xadd(stack["stream"], stream.encode(stored), id=stream.entry_id(stored.position))
        position = stored.position
    return position


async def collect(url: str, headers: dict[str, str], count: int, into: list[dict[str, Any]]) -> None:
    async with httpx.AsyncClient(timeout=None) as http, http.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200
        event: dict[str, Any] = {}
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                event["id"] = int(line[3:].strip())
            elif line.startswith("data:"):
                event["data"] = json.loads(line[5:].strip())
            elif line == "" and "data" in event:
                into.append(event)
                event = {}
                if len(into) >= count:
                    return


async def test_written_events_are_visible_to_the_right_callers(stack: dict[str, Any]) -> None:
    base = stack["query"]
    alice, carol, bob = auth("alice", "customer"), auth("carol", "customer"), auth("bob", "agent")
    streams: dict[str, list[dict[str, Any]]] = {"alice": [], "carol": [], "bob": []}
    from_start = {"Last-Event-ID": "0"}  # the database is fresh: replay everything, whenever a stream connects
    tasks = [
        asyncio.create_task(collect(f"{base}/api/stream", alice | from_start, 2, streams["alice"])),
        asyncio.create_task(collect(f"{base}/api/stream", carol | from_start, 1, streams["carol"])),
        asyncio.create_task(collect(f"{base}/api/stream", bob | from_start, 3, streams["bob"])),
    ]

    mine, theirs = Ticket(requester="alice"), Ticket(requester="carol")
    mine.create(subject="Printer on fire")
    mine.fire("assign")
    theirs.create(subject="VPN drops")
    position = await write(stack, [mine.events[0], theirs.events[0], mine.events[1]])

    async with httpx.AsyncClient(base_url=base) as http:
        seen = await http.get(f"/api/support-ticket/{mine.ticket_id}", headers=alice, params={"min_position": position})
        assert seen.status_code == 200, seen.text
        assert (seen.json()["version"], seen.json()["place"], seen.json()["assignee"]) == (2, "assigned", "bob")
        hidden = await http.get(f"/api/support-ticket/{mine.ticket_id}", headers=carol)
        assert hidden.status_code == 404
        listed = await http.get("/api/support-ticket", headers={**alice, "X-Min-Position": str(position)})
        assert [t["aggregate_id"] for t in listed.json()["items"]] == [mine.ticket_id]
        behind = await http.get("/api/support-ticket", headers=bob, params={"min_position": position + 1000})
        assert behind.status_code == 503 and behind.json()["code"] == "projection_behind"
        trail = await http.get(f"/api/support-ticket/{mine.ticket_id}/events", headers=bob)
        assert [e["type"] for e in trail.json()["events"]] == ["Created", "Assigned"]

    async with asyncio.timeout(30):
        await asyncio.gather(*tasks)
    assert [(e["data"]["aggregate_id"], e["data"]["event_type"]) for e in streams["alice"]] == [
        (mine.ticket_id, "Created"),
        (mine.ticket_id, "Assigned"),
    ]
    assert [e["data"]["aggregate_id"] for e in streams["carol"]] == [theirs.ticket_id]
    assert [e["id"] for e in streams["bob"]] == sorted(e["id"] for e in streams["bob"])
    assert {e["data"]["aggregate_id"] for e in streams["bob"]} == {mine.ticket_id, theirs.ticket_id}

    # Resuming with Last-Event-ID replays what came after it.
    resumed: list[dict[str, Any]] = []
    async with asyncio.timeout(30):
        await collect(
            f"{base}/api/stream?access_token={bob['Authorization'][7:]}",
            {"Last-Event-ID": str(streams["bob"][0]["id"])},
            2,
            resumed,
        )
    assert [e["id"] for e in resumed] == [e["id"] for e in streams["bob"][1:]]

    # The token went in the query string; the request log shows that it did, never the token. A stream's line is
    # written when the server sees the client gone, which can be a moment after the client has closed.
    line = "GET /api/stream?access_token=*** 200"
    log = ""
    async with asyncio.timeout(10):
        while line not in log:
            await asyncio.sleep(0.05)
            log = await asyncio.to_thread(stack["query_log"].read_text)
    assert bob["Authorization"][7:] not in log
