"""The query API over the embedded read model: who sees what, lists, audit trail, time travel, stats, freshness."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.scenarios import Ticket, busy_day, interleaved
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_projector.projector import Projector
from ticket_query.app import create_app
from ticket_query.checkpoints import CheckpointWatch
from ticket_query.live import ChangeFeed, ticket_changes
from ticket_query.settings import QuerySettings
from ticket_readmodel.read_model import make_cursor
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings, mint_token
from ticket_workflow import Actor

SECRET = "unit-test-secret-unit-test-secret"


def token(sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, list(roles))}"}


def cursor(sort: str, after: list[object]) -> str:
    return make_cursor(sort, after)


ALICE, CAROL, BOB, ADMIN = (
    token("alice", "customer"),
    token("carol", "customer"),
    token("bob", "agent"),
    token("root", "admin"),
)


@pytest.fixture
def tickets() -> list[Ticket]:
    return busy_day()


@pytest.fixture
async def client(read_model: SqliteReadModel, tickets: list[Ticket]) -> AsyncIterator[httpx.AsyncClient]:
    await Projector(read_model).apply(interleaved(tickets))
    settings = QuerySettings(auth=AuthSettings(secret=SECRET), min_position_timeout_seconds=0.05)
    app = create_app(settings, read_model=read_model)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http:
        yield http


async def test_a_ticket_as_its_requester_sees_it(client: httpx.AsyncClient, tickets: list[Ticket]) -> None:
    printer = tickets[0]
    answer = await client.get(f"/api/support-ticket/{printer.ticket_id}", headers=ALICE)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["aggregate_id"], body["version"], body["place"]) == (printer.ticket_id, 6, "resolved")
    assert body["state"] == {
        "new": 0,
        "assigned": 0,
        "in_progress": 0,
        "escalated": 0,
        "pending_customer": 0,
        "resolved": 1,
        "closed": 0,
    }
    assert body["enabled_transitions"] == ["close"]
    assert body["available_transitions"] == []  # a customer may not close
    # The conversation: the question, the answer and the resolution.
    assert (body["message_count"], body["subject"], body["assignee"]) == (3, "Printer on fire", "bob")
    assert "x-request-id" in answer.headers
    agent = (await client.get(f"/api/support-ticket/{printer.ticket_id}", headers=BOB)).json()
    assert agent["available_transitions"] == ["close"]


async def test_other_customers_get_404_exactly_like_a_missing_ticket(
    client: httpx.AsyncClient, tickets: list[Ticket]
) -> None:
    printer = tickets[0]
    for path in ("", "/events", "/at/1"):
        hidden = await client.get(f"/api/support-ticket/{printer.ticket_id}{path}", headers=CAROL)
        missing = await client.get(f"/api/support-ticket/does-not-exist{path}", headers=CAROL)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["code"] == missing.json()["code"] == "ticket_not_found"
        assert hidden.json()["message"].replace(printer.ticket_id, "X") == missing.json()["message"].replace(
            "does-not-exist", "X"
        )


async def test_authentication_is_required(client: httpx.AsyncClient, tickets: list[Ticket]) -> None:
    answer = await client.get("/api/support-ticket")
    assert answer.status_code == 401 and answer.json()["code"] == "missing_token"
    forged = {"Authorization": f"Bearer {mint_token('another-secret-another-secret-another', 'x', ['admin'])}"}
    assert (await client.get("/api/support-ticket", headers=forged)).status_code == 401


async def test_lists_are_filtered_sorted_paged_and_customers_see_their_own(
    client: httpx.AsyncClient, tickets: list[Ticket]
) -> None:
    printer, vpn, password = tickets

    async def ids(headers: dict[str, str], **params: object) -> list[str]:
        answer = await client.get("/api/support-ticket", headers=headers, params=params)
        assert answer.status_code == 200, answer.text
        return [t["aggregate_id"] for t in answer.json()["items"]]

    assert await ids(BOB) == [password.ticket_id, vpn.ticket_id, printer.ticket_id]
    assert await ids(ALICE) == [password.ticket_id, printer.ticket_id]
    assert await ids(ALICE, requester="carol") == []
    assert await ids(BOB, requester="carol") == [vpn.ticket_id]
    assert await ids(BOB, assignee="me") == [printer.ticket_id]
    assert await ids(BOB, place="new", sort="created") == [vpn.ticket_id, password.ticket_id]
    assert await ids(BOB, priority="urgent") == [printer.ticket_id]
    assert await ids(BOB, q="vpn") == [vpn.ticket_id]
    assert await ids(BOB, sort="-priority") == [printer.ticket_id, vpn.ticket_id, password.ticket_id]
    first = await client.get("/api/support-ticket", headers=BOB, params={"limit": 2, "sort": "updated"})
    rest = await client.get(
        "/api/support-ticket",
        headers=BOB,
        params={"limit": 2, "sort": "updated", "cursor": first.json()["next_cursor"]},
    )
    assert len(first.json()["items"]) == 2 and len(rest.json()["items"]) == 1
    assert rest.json()["next_cursor"] is None
    for params, field in (
        ({"place": "limbo"}, "place"),
        ({"limit": 101}, "limit"),
        ({"sort": "x"}, "sort"),
        ({"cursor": "zz"}, "cursor"),
        ({"priority": "meh"}, "priority"),
    ):
        bad = await client.get("/api/support-ticket", headers=BOB, params=params)
        assert bad.status_code == 422 and bad.json()["field"] == field, bad.text


async def test_audit_trail_and_time_travel(client: httpx.AsyncClient, tickets: list[Ticket]) -> None:
    vpn = tickets[1]
    trail = (await client.get(f"/api/support-ticket/{vpn.ticket_id}/events", headers=BOB)).json()
    assert [e["type"] for e in trail["events"]] == [e.type for e in vpn.events]
    escalated = trail["events"][3]
    assert (escalated["transition"], escalated["actor"], escalated["roles"], escalated["version"]) == (
        "escalate",
        "dave",
        ["agent"],
        4,
    )
    assert escalated["position"] == vpn.events[3].position
    then = (await client.get(f"/api/support-ticket/{vpn.ticket_id}/at/4", headers=BOB)).json()
    assert (then["version"], then["place"], then["escalation_reason"]) == (4, "escalated", None)
    assert then["available_transitions"] == []  # an agent may not resolve an escalation
    created = await client.get(f"/api/support-ticket/{vpn.ticket_id}/at/1", headers=token("carol", "customer"))
    assert created.json()["place"] == "new" and created.json()["assignee"] is None
    beyond = await client.get(f"/api/support-ticket/{vpn.ticket_id}/at/99", headers=BOB)
    assert beyond.status_code == 404 and beyond.json()["code"] == "version_not_found"


async def test_stats_are_for_staff(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/stats", headers=ALICE)).status_code == 403
    stats = (await client.get("/api/stats", headers=ADMIN)).json()
    assert stats["by_place"] == {"resolved": 1, "new": 2} and stats["total"] == 3
    assert stats["per_day"][0] == {"day": "2026-03-02", "created": 2, "resolved": 2}


async def test_schema_is_the_net(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/schema")).json()
    assert schema["places"][0]["name"] == "new" and len(schema["transitions"]) == 9


async def test_schema_neither_waits_nor_tells_positions(client: httpx.AsyncClient, read_model: SqliteReadModel) -> None:
    """Anonymous: no read-your-writes wait, so no answer that reveals how far the store has come."""
    far = await read_model.checkpoint() + 1_000
    for request in ({"params": {"min_position": far}}, {"headers": {"X-Min-Position": str(far)}}):
        answer = await client.get("/api/schema", **request)  # type: ignore[arg-type]
        assert answer.status_code == 200 and "position" not in answer.text
    operation = (await client.get("/openapi.json")).json()["paths"]["/api/schema"]["get"]
    # 422 (unsafe text in a header) and 500 (a bug) are documented on every operation; no wait, so no 503.
    assert "parameters" not in operation and set(operation["responses"]) == {"200", "422", "500"}


async def test_read_your_writes_waits_then_says_how_far_behind(
    client: httpx.AsyncClient, read_model: SqliteReadModel
) -> None:
    projected = await read_model.checkpoint()
    assert (await client.get("/api/stats", params={"min_position": projected}, headers=BOB)).status_code == 200
    behind = await client.get("/api/stats", headers={"X-Min-Position": str(projected + 5), **BOB})
    assert behind.status_code == 503
    assert behind.headers["retry-after"] == "1"
    body = behind.json()
    assert (body["code"], body["projected_position"], body["requested_position"], body["behind"]) == (
        "projection_behind",
        projected,
        projected + 5,
        5,
    )


async def test_health_and_ready(client: httpx.AsyncClient, read_model: SqliteReadModel) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = (await client.get("/ready")).json()
    projected = await read_model.checkpoint()
    figures = {"projected_position": projected, "last_position": None, "lag": None}
    assert ready == {"success": True, "status": "ready", "checks": {"read_model": figures}} | figures
    assert "/api/support-ticket/{ticket_id}/at/{version}" in (await client.get("/openapi.json")).json()["paths"]


async def test_ready_says_how_far_the_projection_is_behind_the_event_store(tmp_path: Path) -> None:
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    try:
        store, read_model = await SqliteEventStore.create(db), SqliteReadModel(db)
        await read_model.migrate()
        events = []
        for event in interleaved(busy_day()):
            events += await store.append(event.stream_id, event.version - 1, [event])
        await Projector(read_model).apply(events[:-3])
        settings = QuerySettings(auth=AuthSettings(secret=SECRET))
        app = create_app(settings, read_model=read_model, event_store=store)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http:
            ready = (await http.get("/ready")).json()
    finally:
        await db.close()
    figures = {"projected_position": events[-4].position, "last_position": events[-1].position, "lag": 3}
    assert ready == {"success": True, "status": "ready", "checks": {"read_model": figures}} | figures


async def test_time_travel_outside_the_versions_is_404_with_the_range(
    client: httpx.AsyncClient, tickets: list[Ticket]
) -> None:
    vpn = tickets[1]
    for version in (0, -1, 8, 99_999_999_999):
        answer = await client.get(f"/api/support-ticket/{vpn.ticket_id}/at/{version}", headers=BOB)
        assert answer.status_code == 404, answer.text
        body = answer.json()
        assert (body["code"], body["field"]) == ("version_not_found", "version")
        assert "versions 1 to 7" in body["message"] and f"no version {version}" in body["message"]
    hidden = await client.get(f"/api/support-ticket/{vpn.ticket_id}/at/0", headers=ALICE)
    assert hidden.json()["code"] == "ticket_not_found"  # not a word about the versions of someone else's ticket


async def test_read_your_writes_authenticates_before_it_waits(client: httpx.AsyncClient) -> None:
    far = {"min_position": 10**9}
    anonymous = await client.get("/api/support-ticket", params=far)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "missing_token"
    stream = await client.get("/api/stream", headers={"X-Min-Position": str(10**9)})
    assert stream.status_code == 401
    behind = await client.get("/api/stats", params=far, headers=BOB)
    assert behind.status_code == 503 and behind.json()["code"] == "projection_behind"


async def test_forged_cursors_are_refused_naming_the_field(client: httpx.AsyncClient) -> None:
    for sort, after in (
        ("priority", [99_999_999_999, "2026-03-02T09:00:00+00:00", "x"]),
        ("-created", ["2026-03-02T09:00:00", "x"]),
        ("-created", ["2026-03-02T09:00:00+00:00", ["x"]]),
        ("updated", [None, "x"]),
    ):
        answer = await client.get(
            "/api/support-ticket", headers=BOB, params={"sort": sort, "cursor": cursor(sort, after)}
        )
        assert answer.status_code == 422, answer.text
        assert (answer.json()["code"], answer.json()["field"]) == ("invalid_cursor", "cursor")


async def test_people_come_in_cursor_pages(client: httpx.AsyncClient, read_model: SqliteReadModel) -> None:
    desk = Ticket(requester="zed")
    desk.create()
    for name in ("agent3", "Agent1", "agent2", "agent10", "bea"):
        desk.note("Seen", actor=name)
    await Projector(read_model).apply(desk.events)

    async def walk(**params: str) -> list[list[str]]:
        pages, after = [], None
        for _ in range(20):  # a cursor that does not advance fails the test instead of looping
            answer = await client.get("/api/people", params=params | ({"cursor": after} if after else {}), headers=BOB)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            pages.append([p["id"] for p in body["items"]])
            after = body["next_cursor"]
            if after is None:
                return pages
        raise AssertionError(f"no last page: {pages}")

    [everyone] = await walk()  # fewer than the default page of 50: one page, no cursor
    assert everyone == sorted(everyone) and {"Agent1", "agent10", "agent2", "agent3", "bea", "bob"} <= set(everyone)
    pages = await walk(limit="2")
    assert [len(page) for page in pages[:-1]] == [2] * (len(pages) - 1) and 1 <= len(pages[-1]) <= 2
    assert [p for page in pages for p in page] == everyone
    assert await walk(q="agent", limit="2") == [["Agent1", "agent10"], ["agent2", "agent3"]]
    assert await walk(q="agent1", limit="1", role="agent") == [["Agent1"], ["agent10"]]

    for params in ({"limit": "0"}, {"limit": "201"}):
        answer = await client.get("/api/people", params=params, headers=BOB)
        assert (answer.status_code, answer.json()["field"]) == (422, "limit")
    tickets_cursor = cursor("-created", ["2026-03-02T09:00:00+00:00", "x"])
    for forged in ("nope", tickets_cursor, make_cursor("id", [1]), make_cursor("id", ["a", "b"])):
        answer = await client.get("/api/people", params={"cursor": forged}, headers=BOB)
        assert answer.status_code == 422, answer.text
        assert (answer.json()["code"], answer.json()["field"]) == ("invalid_cursor", "cursor")


async def test_openapi_documents_every_error_response(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    expected = {
        "/api/support-ticket/{ticket_id}": {"401", "404", "422", "503"},
        "/api/support-ticket": {"401", "422", "503"},
        "/api/support-ticket/{ticket_id}/events": {"401", "404", "422", "503"},
        "/api/support-ticket/{ticket_id}/at/{version}": {"401", "404", "422", "503"},
        "/api/stats": {"401", "403", "422", "503"},
        "/api/people": {"401", "403", "422", "503"},
        "/api/stream": {"401", "422", "503"},
    }
    for path, statuses in expected.items():
        responses = paths[path]["get"]["responses"]
        assert statuses <= set(responses), (path, sorted(responses))
        for status in statuses:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, status, schema)
    assert "projection_behind" in paths["/api/stats"]["get"]["responses"]["503"]["description"]
    assert "503" in paths["/ready"]["get"]["responses"]


async def test_live_changes_resume_after_a_position_and_respect_ownership(
    read_model: SqliteReadModel, tickets: list[Ticket]
) -> None:
    events = interleaved(tickets)
    await Projector(read_model).apply(events)

    async def first(actor: Actor, after: int, n: int) -> list[dict[str, object]]:
        watch = CheckpointWatch(read_model.checkpoint, poll_seconds=0.01)
        stream = ticket_changes(ChangeFeed(lambda: read_model), watch, actor, after)
        got = [json.loads((await anext(stream))["data"]) for _ in range(n)]
        await stream.aclose()
        return got

    staff = await first(Actor("bob", frozenset({"agent"})), 0, len(events))
    assert [c["position"] for c in staff] == [e.position for e in events]
    assert staff[0]["event_type"] == "Created" and staff[0]["version"] == 1  # the state right after that event
    carol = await first(Actor("carol", frozenset({"customer"})), 0, len(tickets[1].events))
    assert {c["aggregate_id"] for c in carol} == {tickets[1].ticket_id}
    resumed = await first(Actor("bob", frozenset({"agent"})), events[-2].position or 0, 1)
    assert resumed[0]["position"] == events[-1].position


@pytest.mark.parametrize(
    ("path", "request_parts", "field"),
    [
        ("/api/support-ticket", {"headers": {"X-Min-Position": "+0.0"}}, "X-Min-Position"),
        ("/api/support-ticket", {"headers": {"X-Min-Position": "1.0"}}, "X-Min-Position"),
        ("/api/support-ticket", {"params": {"min_position": "+1"}}, "min_position"),
        ("/api/support-ticket", {"params": {"limit": "5.0"}}, "limit"),
        ("/api/stats", {"params": {"days": "+3"}}, "days"),
        ("/api/people", {"params": {"min_position": "0.0"}}, "min_position"),
    ],
)
async def test_counts_and_positions_are_digits_only(
    client: httpx.AsyncClient, path: str, request_parts: dict[str, dict[str, str]], field: str
) -> None:
    """The document says integer: ``1.0`` or ``+1`` is refused like any other non-integer, naming the field."""
    headers = {**BOB, **request_parts.get("headers", {})}
    answer = await client.get(path, headers=headers, params=request_parts.get("params"))
    assert answer.status_code == 422, answer.text
    assert (answer.json()["code"], answer.json()["field"]) == ("invalid_request", field)
    assert (await client.get(path, headers={**BOB, "X-Min-Position": "0"}, params={"days": "3"})).status_code == 200
