"""Replies, notes and the staff directory with two real ``ticket-command-api serve`` processes on one PostgreSQL
database, tokens from ``mint-token``: what one process wrote is what the other decides on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import RedisNamespace
from tests.support.processes import Process, clean_environment

from .test_serve import SECRET, cli, serve


@pytest.fixture
def server_env(database_url: str, redis_namespace: RedisNamespace) -> dict[str, str]:
    return clean_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        JWT_SECRET=SECRET,
        JWT_ISSUER="https://id.example",
        JWT_AUDIENCE="help-desk",
    )


@pytest.fixture
def two_servers(server_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Process, Process]]:
    cli("migrate", env=server_env)
    first = serve(server_env, tmp_path / "first.log")
    try:
        second = serve(server_env | {"RELAY_ENABLED": "false"}, tmp_path / "second.log")
        try:
            first.wait_until("/ready")
            second.wait_until("/ready")
            yield first, second
        finally:
            second.stop()
    finally:
        first.stop()


def test_conversation_and_assignees_across_two_processes(
    two_servers: tuple[Process, Process], server_env: dict[str, str]
) -> None:
    def token(sub: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {cli('mint-token', '--sub', sub, '--role', role, env=server_env)}"}

    alice, bob, carol = token("alice", "customer"), token("bob", "agent"), token("carol", "agent")
    first, second = two_servers
    with httpx.Client(base_url=first.url, timeout=10) as one, httpx.Client(base_url=second.url, timeout=10) as two:
        ticket = one.post("/api/support-ticket", headers=alice, json={"subject": "VPN down"}).json()["aggregate_id"]
        reply = one.post(f"/api/support-ticket/{ticket}/replies", headers=alice, json={"body": "Since 9:00"})
        assert reply.status_code == 200, reply.text
        assert (reply.json()["version"], reply.json()["place"]) == (2, "new")
        note = two.post(f"/api/support-ticket/{ticket}/notes", headers=bob, json={"body": "VIP", "expected_version": 2})
        assert note.status_code == 200, note.text  # the second process read the reply before deciding
        assert (note.json()["version"], note.json()["place"]) == (3, "new")
        refused = one.post(f"/api/support-ticket/{ticket}/notes", headers=alice, json={"body": "me too"})
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")

        unknown = one.post("/api/assign", headers=bob, json={"aggregate_id": ticket, "data": {"assignee": "carol"}})
        assert (unknown.status_code, unknown.json()["code"], unknown.json()["field"]) == (
            422,
            "unknown_assignee",
            "data.assignee",
        )
        own = two.post("/api/support-ticket", headers=alice, json={}).json()["aggregate_id"]
        assert two.post("/api/assign", headers=carol, json={"aggregate_id": own}).status_code == 200
        assigned = one.post("/api/assign", headers=bob, json={"aggregate_id": ticket, "data": {"assignee": "carol"}})
        assert assigned.status_code == 200, assigned.text
        assert (assigned.json()["version"], assigned.json()["place"]) == (4, "assigned")
