"""Erasure in the embedded app: a customer's text in every personal field, exported, then erased; afterwards no
marker is in any answer, nor anywhere in the SQLite file's bytes (after a checkpoint and VACUUM), nor after an
in-place rebuild; another customer's ticket keeps its text."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ticket_embedded.app import create_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_service.auth import AuthSettings, mint_token

SECRET = "unit-test-secret-unit-test-secret"


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role])}"}


ALICE, BOB, AGENT, ADMIN = (
    bearer("alice", "customer"),
    bearer("bob", "customer"),
    bearer("al", "agent"),
    bearer("root", "admin"),
)
SUPERVISOR = bearer("sue", "supervisor")


def mark(n: int) -> str:
    return f"qx-erase-{n:02d}-qx"


class Desk:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def fire(self, transition: str, ticket: str, headers: dict[str, str], **data: str) -> None:
        body = {"aggregate_id": ticket, "data": data}
        answer = await self.client.post(f"/api/{transition}", headers=headers, json=body)
        assert answer.status_code == 200, answer.text

    async def life(self, customer: dict[str, str], n: int) -> str:
        """A ticket with a marker in every personal field; markers n to n+13."""
        c = self.client
        created = await c.post(
            "/api/support-ticket", headers=customer, json={"subject": mark(n), "description": mark(n + 1)}
        )
        ticket = created.json()["aggregate_id"]
        await self.fire("assign", ticket, AGENT, note=mark(n + 2))
        await self.fire("start_work", ticket, AGENT)
        await self.fire("request_info", ticket, AGENT, message=mark(n + 3))
        await self.fire("customer_reply", ticket, customer, message=mark(n + 4))
        await self.fire("escalate", ticket, AGENT, reason=mark(n + 5))
        await self.fire("resolve_escalated", ticket, SUPERVISOR, resolution=mark(n + 6))
        await self.fire("close", ticket, AGENT)
        await self.fire("reopen", ticket, customer, reason=mark(n + 7))
        for path, headers, body in (("replies", customer, n + 8), ("notes", AGENT, n + 9)):
            answer = await c.post(
                f"/api/support-ticket/{ticket}/{path}",
                headers={**headers, "Idempotency-Key": f"k-{ticket}-{path}"},
                json={"body": mark(body)},
            )
            assert answer.status_code == 200, answer.text
        return ticket

    async def answers(self, ticket: str) -> str:
        c, texts = self.client, []
        for path in (
            f"/api/support-ticket/{ticket}",
            f"/api/support-ticket/{ticket}/events",
            f"/api/support-ticket/{ticket}/at/3",
            "/api/support-ticket?q=qx-erase",
            "/api/support-ticket",
            "/api/people",
        ):
            answer = await c.get(path, headers=AGENT)
            assert answer.status_code == 200, (path, answer.text)
            texts.append(answer.text)
        return "\n".join(texts)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    settings = EmbeddedSettings(db_path=str(tmp_path / "desk.db"), debug=False, auth=AuthSettings(secret=SECRET))
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://e") as client:
        yield Desk(client)


def file_bytes(path: Path) -> bytes:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
    found = path.read_bytes()
    for extra in (Path(f"{path}-wal"), Path(f"{path}-journal")):
        found += extra.read_bytes() if extra.exists() else b""
    return found


async def test_an_erased_customer_leaves_no_text_behind(desk: Desk, tmp_path: Path) -> None:
    c = desk.client
    erased = await desk.life(ALICE, 0)
    kept = await desk.life(BOB, 50)
    markers = [mark(n) for n in range(10)]
    with sqlite3.connect(tmp_path / "desk.db") as conn:
        stored = "".join(row[0] for row in conn.execute("SELECT data FROM events"))
    assert not [m for m in markers if m in stored] and '"$enc": "v1:' in stored  # the events hold them sealed
    before = await desk.answers(erased)
    assert all(m in before for m in (mark(0), mark(4), mark(9)))

    exported = await c.get("/api/privacy/subjects/alice/export", headers=ADMIN)
    assert exported.status_code == 200 and not exported.json()["erased"]
    assert all(m in exported.text for m in markers)
    assert [t["id"] for t in exported.json()["tickets"]] == [erased]

    answer = await c.post("/api/privacy/subjects/alice/erase", headers=ADMIN, json={"reason": "asked by alice"})
    assert answer.status_code == 200, answer.text
    record = answer.json()
    assert (record["subject"], record["erased_by"], record["tickets"]) == ("alice", "root", 1)
    again = await c.post("/api/privacy/subjects/alice/erase", headers=ADMIN, json={"reason": "twice"})
    assert again.json() == record  # idempotent: the first record

    after = await desk.answers(erased) + (await c.get("/api/privacy/subjects/alice/export", headers=ADMIN)).text
    assert not [m for m in markers if m in after]
    assert "[erased]" in after
    assert mark(50) in await desk.answers(kept)  # another customer's ticket keeps its text
    assert not [m for m in markers if m.encode() in file_bytes(tmp_path / "desk.db")]

    rebuild = await c.post("/api/admin/projections/tickets/rebuild", headers=ADMIN)
    assert rebuild.status_code == 202, rebuild.text
    async with asyncio.timeout(20):
        while True:
            system = (await c.get("/api/admin/system", headers=ADMIN)).json()
            if system["projections"][0]["status"] != "rebuilding":
                break
            await asyncio.sleep(0.05)
    after = await desk.answers(erased)
    assert "[erased]" in after and not [m for m in markers if m in after]
    assert mark(55) in await desk.answers(kept)


async def test_only_admins_may_export_or_erase(desk: Desk) -> None:
    c = desk.client
    for method, path, body in (
        ("GET", "/api/privacy/subjects/alice/export", None),
        ("POST", "/api/privacy/subjects/alice/erase", {"reason": "because"}),
    ):
        assert (await c.request(method, path, json=body)).status_code == 401
        for headers in (ALICE, AGENT, SUPERVISOR):
            answer = await c.request(method, path, headers=headers, json=body)
            assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")
    refused = await c.post("/api/privacy/subjects/alice/erase", headers=ADMIN, json={"reason": "x"})
    assert (refused.status_code, refused.json()["success"]) == (422, False)
    assert (await c.get("/api/privacy/subjects/alice/export", headers=ADMIN)).json()["erasures"] == []
