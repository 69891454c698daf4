"""The proof of erasure with real processes (command-api with its relay, projector, query-api; PostgreSQL, Redis):
a customer's text in every personal field is exported, then erased; afterwards no marker is in any column of any
table of any schema, in any Redis key, in any API answer or the live stream, nor after ``ticket-projector
rebuild``. Another customer's ticket keeps its text. Only admins reach the privacy routes."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import redis

from tests.conftest import RedisNamespace
from tests.support.processes import Process, clean_environment, free_port, three_services
from ticket_service.auth import mint_token

SECRET = "erasure-e2e-secret-0123456789abcdef"
BIN = Path(sys.executable).parent


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role])}"}


ALICE, BOB, AGENT, SUPERVISOR, ADMIN = (
    bearer("alice", "customer"),
    bearer("bob", "customer"),
    bearer("al", "agent"),
    bearer("sue", "supervisor"),
    bearer("root", "admin"),
)


def mark(n: int) -> str:
    return f"zq-erasure-{n:03d}-zq"


@pytest.fixture
def system(database_url: str, redis_namespace: RedisNamespace, tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = clean_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        SLA_ALERT_STREAM=redis_namespace.key("sla-alerts"),
        PROJECTOR_GROUP=redis_namespace.key("projector"),
        CONSUMER_NAME=redis_namespace.key("replica-1"),
        JWT_SECRET=SECRET,
        HOST="127.0.0.1",
    )
    with three_services(env, tmp_path) as urls:
        yield urls | {"env": env, "database_url": database_url}


class Desk:
    def __init__(self, command: str, query: str) -> None:
        self.command, self.query = command, query
        self.position = 0

    def post(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(f"{self.command}{path}", headers=headers, json=body, timeout=10)
        assert answer.status_code in (200, 201), answer.text
        self.position = max(self.position, answer.json().get("position") or 0)
        return dict(answer.json())

    def fire(self, transition: str, ticket: str, headers: dict[str, str], **data: str) -> None:
        self.post(
            f"/api/{transition}",
            headers | {"Idempotency-Key": str(uuid.uuid4())},
            {"aggregate_id": ticket, "data": data},
        )

    def life(self, customer: dict[str, str], n: int) -> str:
        """A ticket with a distinct marker in every personal field: markers n .. n+16."""
        ticket = self.post("/api/support-ticket", customer, {"subject": mark(n), "description": mark(n + 1)})[
            "aggregate_id"
        ]
        self.fire("assign", ticket, AGENT, note=mark(n + 2))
        self.fire("start_work", ticket, AGENT, note=mark(n + 3))
        self.fire("request_info", ticket, AGENT, message=mark(n + 4), note=mark(n + 5))
        self.fire("customer_reply", ticket, customer, message=mark(n + 6))
        self.fire("escalate", ticket, AGENT, reason=mark(n + 7), note=mark(n + 8))
        self.fire("resolve_escalated", ticket, SUPERVISOR, resolution=mark(n + 9), note=mark(n + 10))
        self.fire("close", ticket, AGENT, note=mark(n + 11))
        self.fire("reopen", ticket, customer, reason=mark(n + 12))
        self.post(f"/api/support-ticket/{ticket}/replies", customer, {"body": mark(n + 13)})
        self.post(f"/api/support-ticket/{ticket}/replies", AGENT, {"body": mark(n + 14)})
        self.post(f"/api/support-ticket/{ticket}/notes", AGENT, {"body": mark(n + 15)})
        self.fire("assign", ticket, AGENT, note=mark(n + 16))
        return ticket

    def answers(self, ticket: str) -> str:
        """Every read answer about ``ticket`` (after the last write was projected), as text."""
        texts = []
        fresh = {"min_position": self.position}
        for path, params in (
            (f"/api/support-ticket/{ticket}", fresh),
            (f"/api/support-ticket/{ticket}/events", fresh),
            (f"/api/support-ticket/{ticket}/at/5", fresh),
            ("/api/support-ticket", fresh | {"q": "zq-erasure"}),
            ("/api/support-ticket", fresh),
            ("/api/people", {}),
        ):
            answer = httpx.get(f"{self.query}{path}", params=params, headers=AGENT, timeout=10)
            assert answer.status_code == 200, (path, answer.text)
            texts.append(answer.text)
        return "\n".join(texts) + self.live()

    def live(self) -> str:
        """The live stream from its start, for a few seconds."""
        lines: list[str] = []
        deadline = time.monotonic() + 3
        try:
            with httpx.stream(
                "GET", f"{self.query}/api/stream", headers=AGENT | {"Last-Event-ID": "0"}, timeout=5
            ) as response:
                for line in response.iter_lines():
                    lines.append(line)
                    if time.monotonic() > deadline:
                        break
        except httpx.ReadTimeout:
            pass
        return "\n".join(lines)


def database_text(database_url: str) -> str:
    """Every row of every table of every schema (system catalogs aside), as text; bytea columns as hex."""

    async def read() -> list[str]:
        conn = await asyncpg.connect(database_url)
        try:
            tables = await conn.fetch(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
            )
            assert len(tables) > 10
            return [str(row[0]) for s, t in tables for row in await conn.fetch(f'SELECT x::text FROM "{s}"."{t}" x')]
        finally:
            await conn.close()

    return "\n".join(asyncio.run(read()))


def redis_text(url: str) -> str:
    client = redis.Redis.from_url(url, decode_responses=False)
    found: list[bytes] = []
    try:
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == b"stream":
                found += [b"%r" % (fields,) for _, fields in client.xrange(key)]
            elif kind == b"string":
                found.append(client.get(key) or b"")
            elif kind == b"hash":
                found.append(b"%r" % (client.hgetall(key),))
            elif kind == b"list":
                found += client.lrange(key, 0, -1)
            elif kind in (b"set", b"zset"):
                found += list(client.smembers(key)) if kind == b"set" else client.zrange(key, 0, -1)
    finally:
        client.close()
    return b"\n".join(found).decode(errors="replace")


def leaks(text: str, markers: list[str]) -> list[str]:
    return [m for m in markers if m in text or m.encode().hex() in text]


def test_an_erased_customer_leaves_no_personal_data_anywhere(
    system: dict[str, Any], redis_namespace: RedisNamespace
) -> None:
    command, query = system["command"], system["query"]
    desk = Desk(command, query)
    erased, kept = desk.life(ALICE, 0), desk.life(BOB, 100)
    markers, others = [mark(n) for n in range(17)], [mark(n) for n in range(100, 117)]
    before = desk.answers(erased)
    assert set(leaks(before, markers)) == set(markers)  # the read side shows every text until the erasure
    # The events are stored and streamed sealed: nothing to purge from Redis, ever.
    assert not leaks(redis_text(redis_namespace.url), markers + others)
    stream = redis.Redis.from_url(redis_namespace.url, decode_responses=True)
    entries = stream.xrange(redis_namespace.key("events"))
    stream.close()
    assert len(entries) == 26 and any('"$enc"' in fields["data"] for _, fields in entries)

    exported = httpx.get(f"{command}/api/privacy/subjects/alice/export", headers=ADMIN, timeout=10)
    assert exported.status_code == 200, exported.text
    assert set(leaks(exported.text, markers)) == set(markers) and not leaks(exported.text, others)
    assert [t["id"] for t in exported.json()["tickets"]] == [erased]

    answer = httpx.post(
        f"{command}/api/privacy/subjects/alice/erase", headers=ADMIN, json={"reason": "asked by alice"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert (record["subject"], record["erased_by"], record["tickets"]) == ("alice", "root", 1)
    desk.position = record["position"]
    again = httpx.post(f"{command}/api/privacy/subjects/alice/erase", headers=ADMIN, json={"reason": "again"})
    assert again.json() == record

    after = desk.answers(erased)
    assert not leaks(after, markers) and "[erased]" in after
    assert set(leaks(desk.answers(kept), others)) >= {mark(100), mark(113), mark(115)}  # bob keeps his text
    export = httpx.get(f"{command}/api/privacy/subjects/alice/export", headers=ADMIN, timeout=10)
    assert export.json()["erased"] and not leaks(export.text, markers)
    assert not leaks(database_text(system["database_url"]), markers)
    assert not leaks(redis_text(redis_namespace.url), markers)

    rebuild = [str(BIN / "ticket-projector"), "rebuild", "--json"]
    done = subprocess.run(rebuild, env=system["env"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["checkpoint"] >= record["position"]
    after = desk.answers(erased)
    assert not leaks(after, markers) and "[erased]" in after
    assert not leaks(database_text(system["database_url"]), markers)
    assert mark(100) in desk.answers(kept)


def test_only_admins_reach_the_privacy_routes(system: dict[str, Any]) -> None:
    command = system["command"]
    for method, path, body in (
        ("GET", "/api/privacy/subjects/alice/export", None),
        ("POST", "/api/privacy/subjects/alice/erase", {"reason": "because"}),
    ):
        assert httpx.request(method, f"{command}{path}", json=body).status_code == 401
        for headers in (ALICE, AGENT, SUPERVISOR):
            answer = httpx.request(method, f"{command}{path}", headers=headers, json=body)
            assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")


def test_the_embedded_file_keeps_no_personal_data_of_an_erased_customer(tmp_path: Path) -> None:
    path = tmp_path / "support-ticket.db"
    port = free_port()
    env = clean_environment(PORT=str(port), DB_PATH=str(path), DEBUG="false", JWT_SECRET=SECRET)
    process = Process(
        [sys.executable, "-m", "ticket_embedded"], env, tmp_path / "embedded.log", f"http://127.0.0.1:{port}"
    )
    try:
        process.wait_until("/ready")
        desk = Desk(process.url, process.url)
        erased, kept = desk.life(ALICE, 200), desk.life(BOB, 300)
        markers, others = [mark(n) for n in range(200, 217)], [mark(n) for n in range(300, 317)]
        assert set(leaks(desk.answers(erased), markers)) == set(markers)
        answer = httpx.post(
            f"{process.url}/api/privacy/subjects/alice/erase", headers=ADMIN, json={"reason": "asked"}, timeout=10
        )
        assert answer.status_code == 200, answer.text
        desk.position = answer.json()["position"]
        after = desk.answers(erased)
        assert not leaks(after, markers) and "[erased]" in after
        assert mark(300) in desk.answers(kept)
        rebuilt = httpx.post(f"{process.url}/api/admin/projections/tickets/rebuild", headers=ADMIN, timeout=10)
        assert rebuilt.status_code == 202, rebuilt.text
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            system = httpx.get(f"{process.url}/api/admin/system", headers=ADMIN, timeout=10).json()
            if system["projections"][0]["status"] != "rebuilding":
                break
            time.sleep(0.1)
        after = desk.answers(erased)
        assert not leaks(after, markers) and "[erased]" in after and mark(301) in desk.answers(kept)
    finally:
        process.stop()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("support-ticket.db*"))
    assert not [m for m in markers if m.encode() in stored]
    assert [m for m in others if m.encode() in stored]  # the other customer's text is still there
