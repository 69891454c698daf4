"""Staff-only text (internal notes, transition notes, escalation reasons) never reaches a customer on any read
path of the query API, hot or not, while staff read all of it; and the people directory and stats in a zone."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.support.asgi import read_stream
from tests.support.privacy import MARK, MARKERS, PUBLIC_TEXT, secret_life
from tests.support.scenarios import Ticket, interleaved
from tests.unit.query.test_live_stream import app_on, ids_in
from ticket_projector.projector import Projector
from ticket_query.app import create_app
from ticket_query.rendering import Renderings
from ticket_query.settings import QuerySettings
from ticket_query.views import ticket_view
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings, mint_token
from ticket_workflow import NOTE_ADDED, Actor

SECRET = "unit-test-secret-unit-test-secret"
ALICE_ACTOR, BOB_ACTOR = Actor("alice", frozenset({"customer"})), Actor("bob", frozenset({"agent"}))


def token(sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, list(roles))}"}


ALICE, BOB, ERIN, ROOT = (
    token("alice", "customer"),
    token("bob", "agent"),
    token("erin", "supervisor"),
    token("root", "admin"),
)


@pytest.fixture
async def ticket(read_model: SqliteReadModel) -> Ticket:
    life = secret_life()
    await Projector(read_model).apply(interleaved([life]))
    return life


@pytest.fixture
async def client(read_model: SqliteReadModel, ticket: Ticket) -> AsyncIterator[httpx.AsyncClient]:
    settings = QuerySettings(auth=AuthSettings(secret=SECRET), min_position_timeout_seconds=0.05)
    app = create_app(settings, read_model=read_model)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http:
        yield http


def customer_paths(ticket: Ticket) -> list[str]:
    base = f"/api/support-ticket/{ticket.ticket_id}"
    versions = [f"{base}/at/{v}" for v in range(1, len(ticket.events) + 1)]
    lists = [
        "/api/support-ticket",
        "/api/support-ticket?q=fan",
        f"/api/support-ticket?q={MARK}",
        "/api/support-ticket?limit=1",
    ]
    return [base, f"{base}/events", *versions, *lists]


async def read_all(client: httpx.AsyncClient, paths: list[str], headers: dict[str, str]) -> bytes:
    answers = []
    for path in paths:
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, (path, answer.text)
        answers.append(answer.content)
    return b"\n".join(answers)


async def test_a_customer_reads_no_staff_only_text_on_any_route(client: httpx.AsyncClient, ticket: Ticket) -> None:
    paths = customer_paths(ticket)
    staff = await read_all(client, paths, BOB)
    for text in MARKERS:  # written, stored and served: the customer's answers below are the same routes
        assert text.encode() in staff, text
    # Twice: the second read is served from the kept renderings the staff read just wrote.
    for _ in range(2):
        seen = await read_all(client, paths, ALICE)
        assert MARK.encode() not in seen
        for text in PUBLIC_TEXT:
            assert text.encode() in seen, text  # the public conversation is all there


async def test_the_ticket_keeps_its_shape_with_the_staff_only_fields_empty(
    client: httpx.AsyncClient, ticket: Ticket
) -> None:
    path = f"/api/support-ticket/{ticket.ticket_id}"
    staff, customer = (await client.get(path, headers=BOB)).json(), (await client.get(path, headers=ALICE)).json()
    assert staff.keys() == customer.keys()
    assert [n["body"] for n in staff["notes"]] == MARKERS  # in the order they were written
    assert {n["kind"] for n in staff["notes"]} >= {"note", "escalation", "assign", "resolve_escalated"}
    assert all(n["staff"] for n in staff["notes"])
    assert staff["escalation_reason"] == MARKERS[9]
    assert (customer["notes"], customer["escalation_reason"]) == ([], None)
    assert customer["messages"] == staff["messages"]
    assert [(m["kind"], m["staff"]) for m in customer["messages"]] == [
        ("resolution", True),
        ("reopen", False),
        ("request_info", True),
        ("customer_reply", False),
        ("reply", True),
    ]
    # The customer still reads the version and the time of the latest change, as every read of the ticket tells.
    assert (customer["version"], customer["updated_at"]) == (staff["version"], staff["updated_at"])


async def test_the_audit_trail_leaves_out_notes_and_staff_only_keys_for_customers(
    client: httpx.AsyncClient, ticket: Ticket
) -> None:
    path = f"/api/support-ticket/{ticket.ticket_id}/events"
    staff = (await client.get(path, headers=BOB)).json()["events"]
    customer = (await client.get(path, headers=ALICE)).json()["events"]
    assert [e["type"] for e in staff] == [e.type for e in ticket.events]
    assert [e["version"] for e in customer] == [e.version for e in ticket.events if e.type != NOTE_ADDED]
    escalations = [e for e in customer if e["type"] == "Escalateed"]
    assert escalations and all("reason" not in e["data"] and "note" not in e["data"] for e in escalations)
    assert all("note" not in e["data"] for e in customer)
    assert [e["data"].get("message") for e in customer if e["data"].get("message")] == ["Which model?", "A T14"]


async def test_time_travel_redacts_every_version_for_customers(client: httpx.AsyncClient, ticket: Ticket) -> None:
    for version in range(1, len(ticket.events) + 1):
        path = f"/api/support-ticket/{ticket.ticket_id}/at/{version}"
        staff, customer = (await client.get(path, headers=BOB)).json(), (await client.get(path, headers=ALICE)).json()
        del staff["available_transitions"], customer["available_transitions"]  # each caller's own
        assert customer == staff | {"notes": [], "escalation_reason": None}
    escalated = (await client.get(f"/api/support-ticket/{ticket.ticket_id}/at/5", headers=BOB)).json()
    assert escalated["escalation_reason"] == MARKERS[3]


async def test_text_search_matches_notes_for_staff_only(client: httpx.AsyncClient, ticket: Ticket) -> None:
    async def ids(headers: dict[str, str], q: str) -> list[str]:
        answer = await client.get("/api/support-ticket", params={"q": q}, headers=headers)
        assert answer.status_code == 200, answer.text
        return [t["aggregate_id"] for t in answer.json()["items"]]

    for text in (MARKERS[2], MARKERS[11]):  # internal notes
        assert await ids(BOB, text) == [ticket.ticket_id]
        assert await ids(ALICE, text) == []
    assert await ids(ALICE, "which MODEL") == [ticket.ticket_id]  # the public conversation, any case
    assert await ids(ALICE, "#" + ticket.ticket_id[:8]) == [ticket.ticket_id]


@pytest.mark.parametrize("staff_first", [True, False])
async def test_kept_renderings_are_chosen_by_the_callers_roles(
    read_model: SqliteReadModel, ticket: Ticket, staff_first: bool
) -> None:
    row, state = await read_model.ticket_row(ticket.ticket_id), await read_model.ticket(ticket.ticket_id)
    assert row is not None and state is not None
    renderings = Renderings()
    order = [BOB_ACTOR, ALICE_ACTOR] if staff_first else [ALICE_ACTOR, BOB_ACTOR]
    for _ in range(2):
        for actor in order:
            written = renderings.ticket(row, actor)
            assert written == ticket_view(state, actor).model_dump_json().encode()
            assert (MARK.encode() in written) is (actor is BOB_ACTOR)
            page = renderings.page([row], None, actor)
            assert (MARK.encode() in page) is (actor is BOB_ACTOR)


async def test_the_live_stream_sends_customers_nothing_of_notes(read_model: SqliteReadModel, ticket: Ticket) -> None:
    public = [e.position for e in ticket.events if e.type != NOTE_ADDED]
    every = [e.position for e in ticket.events]
    app = app_on(read_model)

    async def stream(headers: dict[str, str], expected: list[int]) -> str:
        status, body = await read_stream(
            app, "", headers | {"Last-Event-ID": "0"}, lambda text: len(ids_in(text)) >= len(expected)
        )
        assert status == 200
        assert ids_in(body) == expected
        return body

    staff = await stream(BOB, every)
    for text in MARKERS:
        assert text in staff, text
    customer = await stream(ALICE, public)  # the last event is public: every note came before it
    assert MARK not in customer and NOTE_ADDED not in customer
    changes = [json.loads(line[5:]) for line in customer.splitlines() if line.startswith("data:")]
    assert all(c["notes"] == [] and c["escalation_reason"] is None for c in changes)
    assert changes[-1]["messages"][-1]["body"] == "We are on it"


async def test_people_are_for_staff_and_filtered_by_role_and_prefix(client: httpx.AsyncClient) -> None:
    for caller in (ALICE, token("mallory", "customer")):
        answer = await client.get("/api/people", headers=caller)
        assert answer.status_code == 403 and answer.json()["code"] == "forbidden"

    async def ids(**params: str) -> list[str]:
        answer = await client.get("/api/people", params=params, headers=BOB)
        assert answer.status_code == 200, answer.text
        return [p["id"] for p in answer.json()["items"]]

    everyone = (await client.get("/api/people", headers=ROOT)).json()["items"]
    by_id = {p["id"]: p for p in everyone}
    assert {"bob", "erin"} <= by_id.keys()
    assert by_id["erin"]["roles"] == ["supervisor"] and by_id["erin"]["actions"] == 1
    assert [p["id"] for p in everyone] == sorted(by_id)
    assert await ids(role="supervisor") == ["erin"]
    assert "bob" in await ids(role="agent") and "erin" in await ids(role="agent")  # a supervisor is an agent
    assert await ids(role="admin") == []
    assert await ids(q="er") == ["erin"]
    bad = await client.get("/api/people", params={"role": "wizard"}, headers=BOB)
    assert bad.status_code == 422 and bad.json()["field"] == "role"


async def test_stats_count_days_in_the_callers_zone(read_model: SqliteReadModel, client: httpx.AsyncClient) -> None:
    late = Ticket(requester="alice", at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    late.create(subject="Late at night")
    await Projector(read_model).apply(interleaved([late]))

    async def created_per_day(**params: str) -> dict[str, int]:
        answer = await client.get("/api/stats", params=params, headers=ERIN)
        assert answer.status_code == 200, answer.text
        return {d["day"]: d["created"] for d in answer.json()["per_day"] if d["created"]}

    utc = await created_per_day()
    assert utc["2026-03-01"] == 1 and await created_per_day(tz="UTC") == utc
    berlin = await created_per_day(tz="Europe/Berlin")  # 00:30 on the 2nd there
    assert "2026-03-01" not in berlin and berlin["2026-03-02"] == utc["2026-03-02"] + 1
    for zone in ("Mars/Olympus_Mons", "", "x" * 65):
        bad = await client.get("/api/stats", params={"tz": zone}, headers=ERIN)
        assert bad.status_code == 422, (zone, bad.text)
        assert (bad.json()["code"], bad.json()["field"]) == ("invalid_request", "tz")
    assert (await client.get("/api/stats", params={"tz": "Mars/Olympus_Mons"}, headers=ALICE)).status_code == 403
