"""POST /api/{transition}: the whole lifecycle, the seed's role matrix, and what each answer says."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.command_api import PATHS, ROLES, SEED_MATRIX, SOURCE_PLACE, Desk, bearer
from tests.support.events import ROUND_TRIP
from ticket_eventstore.sqlite import SqliteEventStore


async def test_a_ticket_goes_through_its_whole_lifecycle(desk: Desk, store: SqliteEventStore) -> None:
    ticket = (await desk.create(subject="VPN down"))["aggregate_id"]
    steps = [
        ("assign", desk.agent, {"assignee": "bob"}, "assigned"),
        ("start_work", desk.agent, None, "in_progress"),
        ("request_info", desk.agent, {"message": "Which VPN client?"}, "pending_customer"),
        ("customer_reply", desk.customer, {"message": "The new one"}, "in_progress"),
        ("escalate", desk.agent, {"reason": "needs network team"}, "escalated"),
        ("resolve_escalated", bearer("sue", "supervisor"), {"resolution": "router restarted"}, "resolved"),
        ("close", desk.agent, None, "closed"),
        ("reopen", desk.customer, {"reason": "down again"}, "new"),
        ("assign", desk.agent, None, "assigned"),
        ("start_work", desk.agent, None, "in_progress"),
        ("resolve", desk.agent, {"resolution": "fixed"}, "resolved"),
    ]
    last_position = 0
    for version, (transition, who, data, place) in enumerate(steps, start=2):
        body = {"data": data} if data is not None else {}
        response = await desk.fire(transition, ticket, who, **body)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert (answer["version"], answer["place"], answer["aggregate_id"]) == (version, place, ticket)
        assert answer["state"][place] == 1 and sum(answer["state"].values()) == 1
        assert answer["position"] > last_position
        last_position = answer["position"]
    events = await store.read_stream(ticket)
    assert [e.type for e in events] == [
        *ROUND_TRIP,
        "Assigned",
        "StartWorked",
        "Resolveed",
    ]
    assert [e.version for e in events] == list(range(1, 13))
    assert events[3].data["message"] == "Which VPN client?"
    assert events[9].data["assignee"] == "bob"  # assign without data: the caller


async def test_enabled_and_available_transitions_follow_the_caller(desk: Desk) -> None:
    ticket = await desk.ticket_in("in_progress")
    as_agent = (await desk.fire("request_info", ticket, desk.agent)).json()
    assert as_agent["enabled_transitions"] == ["customer_reply"]
    assert as_agent["available_transitions"] == []
    as_customer = (await desk.fire("customer_reply", ticket, desk.customer)).json()
    assert as_customer["enabled_transitions"] == ["escalate", "request_info", "resolve"]
    assert as_customer["available_transitions"] == []
    as_agent = (await desk.fire("escalate", ticket, desk.agent)).json()
    assert as_agent["enabled_transitions"] == ["resolve_escalated"]
    assert as_agent["available_transitions"] == []  # an agent may not resolve escalations
    as_supervisor = (await desk.fire("resolve_escalated", ticket, bearer("sue", "supervisor"))).json()
    assert as_supervisor["available_transitions"] == ["close"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("transition", list(SEED_MATRIX))
async def test_seed_role_matrix(desk: Desk, store: SqliteEventStore, role: str, transition: str) -> None:
    """Every role against every transition, on a ticket where the transition is enabled (and that the customer
    owns, so only the role decides)."""
    ticket = await desk.ticket_in(SOURCE_PLACE[transition])
    caller = bearer("alice" if role == "customer" else f"{role}-1", role)
    before = await store.read_stream(ticket)
    response = await desk.fire(transition, ticket, caller)
    if role in SEED_MATRIX[transition]:
        assert response.status_code == 200, response.text
        assert response.json()["version"] == len(before) + 1
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
        assert transition in response.json()["message"]
        assert await store.read_stream(ticket) == before


@pytest.mark.parametrize("transition", list(SEED_MATRIX))
async def test_every_transition_is_refused_where_it_is_not_enabled(
    desk: Desk, store: SqliteEventStore, transition: str
) -> None:
    place = next(p for p in PATHS if p != SOURCE_PLACE[transition])
    ticket = await desk.ticket_in(place)
    before = await store.last_position()
    response = await desk.fire(transition, ticket)
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_enabled"
    assert repr(transition) in response.json()["message"] and repr(place) in response.json()["message"]
    assert await store.last_position() == before


async def test_a_customer_acts_only_on_its_own_tickets(desk: Desk, store: SqliteEventStore) -> None:
    """Another customer's ticket answers exactly like an unknown one, whatever the transition."""
    ticket = await desk.ticket_in("pending_customer")
    before = await store.last_position()
    mallory = bearer("mallory", "customer")
    for transition, aggregate_id in [("customer_reply", ticket), ("assign", ticket), ("customer_reply", "nope")]:
        response = await desk.fire(transition, aggregate_id, mallory)
        assert response.status_code == 404, (transition, aggregate_id)
        body = response.json()
        assert (body["code"], body["message"]) == ("ticket_not_found", f"ticket {aggregate_id!r} does not exist")
    assert await store.last_position() == before
    assert (await desk.fire("customer_reply", ticket, desk.customer)).status_code == 200


async def test_expected_version_gives_strict_optimistic_concurrency(desk: Desk, store: SqliteEventStore) -> None:
    ticket = await desk.ticket_in("new")
    stale = await desk.fire("assign", ticket, desk.agent, expected_version=0)
    assert stale.status_code == 409
    message = "expected the ticket at version 0, it is at 1; reload and retry"
    assert (stale.json()["code"], stale.json()["message"]) == ("version_conflict", message)
    assert len(await store.read_stream(ticket)) == 1
    fresh = await desk.fire("assign", ticket, desk.agent, expected_version=1)
    assert fresh.status_code == 200 and fresh.json()["version"] == 2


async def test_a_lost_append_race_is_decided_again_on_what_won(desk: Desk, store: SqliteEventStore) -> None:
    """Both requests decide on version 1; the store refuses the second append, which writes nothing, and the
    second request is decided again on the ticket as the first left it: assigned, so it cannot be assigned."""
    ticket = await desk.ticket_in("new")
    answers = await asyncio.gather(*(desk.fire("assign", ticket, desk.agent) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 409]
    [lost] = [a.json() for a in answers if a.status_code == 409]
    message = "transition 'assign' is not enabled: the ticket is in 'assigned'"
    assert (lost["code"], lost["message"]) == ("transition_not_enabled", message)
    assert [e.version for e in await store.read_stream(ticket)] == [1, 2]


async def test_commands_that_both_still_apply_after_a_race_both_land(desk: Desk, store: SqliteEventStore) -> None:
    """Two notes at once, with no expected version: the one that loses the append is decided again and lands
    after the other; with an expected version, the loser is a version conflict and writes nothing."""
    ticket = await desk.ticket_in("in_progress")
    at = len(await store.read_stream(ticket))
    path = f"/api/support-ticket/{ticket}/notes"
    notes = [desk.client.post(path, headers=desk.agent, json={"body": f"note {n}"}) for n in range(2)]
    assert sorted(a.status_code for a in await asyncio.gather(*notes)) == [200, 200]
    strict = [desk.client.post(path, headers=desk.agent, json={"body": "x", "expected_version": at + 2}) for _ in "ab"]
    answers = await asyncio.gather(*strict)
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert [a.json()["code"] for a in answers if a.status_code == 409] == ["version_conflict"]
    events = await store.read_stream(ticket)
    assert [e.type for e in events[at:]] == ["InternalNoteAdded"] * 3
    assert [e.version for e in events] == list(range(1, at + 4))


async def test_an_unknown_ticket_is_404(desk: Desk, store: SqliteEventStore) -> None:
    response = await desk.fire("assign", "00000000-0000-4000-8000-000000000000", desk.agent)
    assert response.status_code == 404
    assert response.json()["code"] == "ticket_not_found"
    assert await store.last_position() == 0


async def test_the_request_id_becomes_the_correlation_id(desk: Desk, store: SqliteEventStore) -> None:
    ticket = await desk.ticket_in("new")
    response = await desk.client.post(
        "/api/assign", headers={**desk.agent, "X-Request-ID": "trace-42"}, json={"aggregate_id": ticket}
    )
    assert response.headers["X-Request-ID"] == "trace-42"
    event = (await store.read_stream(ticket))[-1]
    assert (event.metadata.correlation_id, event.metadata.causation_id) == ("trace-42", "trace-42")
    assert (event.metadata.actor, event.metadata.roles, event.metadata.idempotency_key) == ("bob", ("agent",), None)


async def test_without_a_request_id_one_is_generated_and_recorded(desk: Desk, store: SqliteEventStore) -> None:
    response = await desk.client.post("/api/support-ticket", headers=desk.customer)
    [event] = await store.read_stream(response.json()["aggregate_id"])
    assert event.metadata.correlation_id == response.headers["X-Request-ID"]
    assert len(response.headers["X-Request-ID"]) >= 32


async def test_data_is_stored_as_validated(desk: Desk, store: SqliteEventStore) -> None:
    await desk.fire("assign", await desk.ticket_in("new"), bearer("carol", "agent"))  # carol becomes known staff
    ticket = await desk.ticket_in("new")
    answer = await desk.fire("assign", ticket, desk.agent, data={"assignee": "  carol  ", "note": "vip"})
    assert answer.status_code == 200, answer.text
    event = (await store.read_stream(ticket))[-1]
    assert event.data == {
        "aggregate_id": ticket,
        "timestamp": event.timestamp.isoformat(),
        "assignee": "carol",
        "note": "vip",
    }
