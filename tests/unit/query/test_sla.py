"""Service levels through the query API: each ticket's ``sla`` judged at the time of the read, the list's filter
and sort, the policy for staff, and nothing of it for customers."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.scenarios import Ticket
from tests.unit.query.test_routes import ADMIN, ALICE, BOB, SECRET
from ticket_projector.projector import Projector
from ticket_query.app import create_app
from ticket_query.service_levels import SlaClocks
from ticket_query.settings import QuerySettings
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings
from ticket_workflow import Event, EventMetadata
from ticket_workflow.streams import SLA_POLICY_STREAM


def an_hour_ago() -> datetime:
    """When each test's tickets were filed: taken when the test starts, not when the module is collected."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


POLICY: dict[str, Any] = {
    "targets": {
        "high": {"first_response_minutes": 30, "resolution_minutes": 600},
        "normal": {"first_response_minutes": 100, "warning_percent": 50},
    },
    "calendar": None,
}


class Desk:
    def __init__(self) -> None:
        self.start = START = an_hour_ago()
        self.positions = itertools.count(1)
        self.breached, self.answered, self.resolved, self.warned, self.low = (
            Ticket(at=START, positions=self.positions) for _ in range(5)
        )
        self.breached.create(priority="high")
        self.answered.create(priority="high")
        self.answered.fire("assign")  # +5 min: first response
        self.resolved.create(priority="high")
        self.resolved.run("assign", "start_work", "resolve")  # +15 min: both met
        self.warned.create(priority="normal")  # 60 of 100 minutes used, warning at 50
        self.low.create(priority="low")  # no targets for low

    def events(self) -> list[Event]:
        policy = Event(
            id=str(uuid.uuid4()),
            stream_id=SLA_POLICY_STREAM,
            type="ServiceLevelPolicySet",
            version=1,
            timestamp=self.start - timedelta(days=1),
            data=POLICY,
            metadata=EventMetadata(actor="root", roles=("admin",)),
            position=next(self.positions),
        )
        tickets = (self.breached, self.answered, self.resolved, self.warned, self.low)
        return sorted([policy, *(e for t in tickets for e in t.events)], key=lambda e: e.position or 0)


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
async def client(read_model: SqliteReadModel, desk: Desk) -> AsyncIterator[httpx.AsyncClient]:
    await Projector(read_model).apply(desk.events())
    app = create_app(QuerySettings(auth=AuthSettings(secret=SECRET)), read_model=read_model)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http:
        yield http


async def sla(client: httpx.AsyncClient, ticket: Ticket, headers: dict[str, str] = BOB) -> Any:
    answer = await client.get(f"/api/support-ticket/{ticket.ticket_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["sla"]


async def test_each_ticket_carries_its_clocks_as_of_the_read(client: httpx.AsyncClient, desk: Desk) -> None:
    breached = await sla(client, desk.breached)
    assert breached["status"] == "breached"
    first = breached["first_response"]
    assert first["status"] == "breached" and first["met_at"] is None and first["target_seconds"] == 1800
    assert first["due_at"] == (desk.start + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    assert 3600 <= first["elapsed_seconds"] < 3600 + 120  # counted up to the read
    answered = await sla(client, desk.answered)
    assert answered["status"] == "ok" and answered["first_response"]["status"] == "met"
    assert answered["first_response"]["elapsed_seconds"] == 300
    assert answered["resolution"]["status"] == "ok" and answered["resolution"]["target_seconds"] == 36_000
    resolved = await sla(client, desk.resolved)
    assert resolved["status"] == "met" and resolved["resolution"]["elapsed_seconds"] == 900
    assert resolved["resolution"]["met_at"] == (desk.start + timedelta(minutes=15)).isoformat().replace("+00:00", "Z")
    warned = await sla(client, desk.warned)
    assert warned["status"] == "warning" and warned["resolution"] is None
    assert await sla(client, desk.low) is None
    listed = (await client.get("/api/support-ticket", headers=BOB)).json()["items"]
    by_id = {t["aggregate_id"]: t["sla"] for t in listed}
    assert by_id[desk.breached.ticket_id]["status"] == "breached" and by_id[desk.low.ticket_id] is None


async def test_staff_filter_and_sort_by_service_level(client: httpx.AsyncClient, desk: Desk) -> None:
    async def ids(**params: Any) -> list[str]:
        found, cursor = [], None
        while True:
            query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
            answer = await client.get("/api/support-ticket", headers=BOB, params=query)
            assert answer.status_code == 200, answer.text
            found += [t["aggregate_id"] for t in answer.json()["items"]]
            if (cursor := answer.json()["next_cursor"]) is None:
                return found

    assert await ids(sla="breached") == [desk.breached.ticket_id]
    assert await ids(sla="warning") == [desk.warned.ticket_id]
    assert await ids(sla="ok") == [desk.answered.ticket_id]
    assert await ids(sla="met") == [desk.resolved.ticket_id]
    pending = [desk.breached.ticket_id, desk.warned.ticket_id, desk.answered.ticket_id]  # due +30, +100, +600
    assert (await ids(sort="sla_due"))[:3] == pending
    assert (await ids(sort="-sla_due"))[-3:] == pending[::-1]
    wrong = await client.get("/api/support-ticket", headers=BOB, params={"sla": "late"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "sla"


async def test_customers_see_no_service_levels(client: httpx.AsyncClient, desk: Desk) -> None:
    desk_tickets = (desk.breached, desk.answered, desk.resolved)
    for ticket in desk_tickets:
        assert await sla(client, ticket, ALICE) is None
    refusals = [
        ({"sla": "breached"}, "sla"),
        ({"sort": "sla_due"}, "sort"),
        ({"sort": "-sla_due"}, "sort"),
        ({"sort": "sla_due", "sla": "met"}, "sla"),
    ]
    for params, field in refusals:
        for waits in ({}, {"min_position": "0"}):  # the plain request's shortcut and FastAPI's own path
            refused = await client.get("/api/support-ticket", headers=ALICE, params=params | waits)
            assert refused.status_code == 403, (params, waits, refused.text)
            assert (refused.json()["code"], refused.json()["field"]) == ("forbidden", field), (params, waits)
            assert refused.json()["message"].startswith(f"{field}: ")
    assert (await client.get("/api/sla/policy", headers=ALICE)).status_code == 403


async def test_staff_read_the_policy_in_force(client: httpx.AsyncClient, read_model: SqliteReadModel) -> None:
    for who in (BOB, ADMIN):
        body = (await client.get("/api/sla/policy", headers=who)).json()
        assert body["success"] is True and body["version"] == 1 and body["updated_by"] == "root"
        assert body["policy"]["targets"]["high"] == {**POLICY["targets"]["high"], "warning_percent": 80}
        assert body["policy"]["calendar"] is None
    assert (await client.get("/api/sla/policy")).status_code == 401


async def test_before_any_policy_the_answer_says_so(read_model: SqliteReadModel) -> None:
    app = create_app(QuerySettings(auth=AuthSettings(secret=SECRET)), read_model=read_model)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http:
        body = (await http.get("/api/sla/policy", headers=BOB)).json()
    assert body == {"success": True, "version": 0, "policy": None, "updated_at": None, "updated_by": None}


async def test_an_answer_kept_for_its_second_never_hides_a_passed_instant(
    read_model: SqliteReadModel, desk: Desk
) -> None:
    await Projector(read_model).apply(desk.events())
    row = await read_model.ticket_row(desk.warned.ticket_id)  # normal: first response due at +100 min
    assert row is not None
    due = row["first_response_due_at"]
    clocks = SlaClocks()
    await clocks.prepare(read_model, [row])
    before, after = due, due + timedelta(microseconds=1)  # on the due instant: not late yet; then late
    assert before.replace(microsecond=0) == after.replace(microsecond=0)
    assert json.loads(clocks.render(row, before))["first_response"]["status"] == "warning"
    assert json.loads(clocks.render(row, after))["first_response"]["status"] == "breached"  # the same second
