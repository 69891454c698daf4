"""The command API's metrics move as commands are answered: ``ticket_commands_total`` by command and outcome,
``ticket_events_appended_total`` by the events written (a replay writes none)."""

from __future__ import annotations

import httpx

from tests.support.command_api import Desk, bearer
from tests.support.metrics import moved, scrape, value
from ticket_command.metrics import COMMANDS, OUTCOMES


async def test_every_command_and_outcome_is_there_at_zero_before_the_first_command(client: httpx.AsyncClient) -> None:
    samples = await scrape(client)
    for command in COMMANDS:
        for outcome in OUTCOMES:
            key = ("ticket_commands_total", frozenset({("command", command), ("outcome", outcome)}))
            assert samples[key] == 0, key
    assert value(samples, "ticket_events_appended_total") == 0


async def test_accepted_commands_and_the_events_they_append(desk: Desk, client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    ticket = (await desk.create())["aggregate_id"]
    assigned = await desk.fire("assign", ticket)
    assert assigned.status_code == 200
    reply = await client.post(f"/api/support-ticket/{ticket}/replies", headers=desk.customer, json={"body": "hi"})
    note = await client.post(f"/api/support-ticket/{ticket}/notes", headers=desk.agent, json={"body": "psst"})
    assert (reply.status_code, note.status_code) == (200, 200)
    after = await scrape(client)
    for command in ("create", "assign", "reply", "note"):
        assert moved(before, after, "ticket_commands_total", command=command, outcome="accepted") == 1, command
    assert moved(before, after, "ticket_events_appended_total") == note.json()["version"]


async def test_refusals_are_counted_by_kind(desk: Desk, client: httpx.AsyncClient) -> None:
    ticket = (await desk.create())["aggregate_id"]
    before = await scrape(client)
    not_enabled = await desk.fire("resolve", ticket)
    forbidden = await client.post(f"/api/support-ticket/{ticket}/notes", headers=desk.customer, json={"body": "x"})
    conflict = await desk.fire("assign", ticket, expected_version=7)
    missing = await desk.fire("assign", "no-such-ticket")
    answers = [r.json()["code"] for r in (not_enabled, forbidden, conflict, missing)]
    assert answers == ["transition_not_enabled", "forbidden", "version_conflict", "ticket_not_found"]
    after = await scrape(client)
    assert moved(before, after, "ticket_commands_total", command="resolve", outcome="not_enabled") == 1
    assert moved(before, after, "ticket_commands_total", command="note", outcome="forbidden") == 1
    assert moved(before, after, "ticket_commands_total", command="assign", outcome="conflict") == 1
    assert moved(before, after, "ticket_commands_total", command="assign", outcome="not_found") == 1
    assert moved(before, after, "ticket_commands_total", command="assign", outcome="accepted") == 0
    assert moved(before, after, "ticket_events_appended_total") == 0


async def test_an_idempotent_replay_is_counted_as_replayed_and_appends_nothing(
    desk: Desk, client: httpx.AsyncClient
) -> None:
    before = await scrape(client)
    keyed = {**desk.customer, "Idempotency-Key": "k-metrics"}
    first = await client.post("/api/support-ticket", headers=keyed)
    again = await client.post("/api/support-ticket", headers=keyed)
    reused = await client.post("/api/assign", headers=keyed, json={"aggregate_id": first.json()["aggregate_id"]})
    assert (first.status_code, again.status_code, again.headers["idempotent-replayed"]) == (201, 201, "true")
    assert reused.json()["code"] == "idempotency_key_reused"
    after = await scrape(client)
    assert moved(before, after, "ticket_commands_total", command="create", outcome="accepted") == 1
    assert moved(before, after, "ticket_commands_total", command="create", outcome="replayed") == 1
    assert moved(before, after, "ticket_commands_total", command="assign", outcome="invalid") == 1
    assert moved(before, after, "ticket_events_appended_total") == 1


async def test_a_request_refused_before_the_service_is_no_command_but_an_http_answer(client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    refused = await client.post("/api/support-ticket", headers=bearer("alice", "customer", secret="x" * 40))
    assert refused.status_code == 401
    after = await scrape(client)
    assert moved(before, after, "http_requests_total", method="POST", route="/api/support-ticket", status="401") == 1
    commands = [key for key in after if key[0] == "ticket_commands_total"]
    assert all(after[key] == before[key] for key in commands)
