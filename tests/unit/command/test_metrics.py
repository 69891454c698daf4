"""The command API's metrics move as commands are answered: ``ticket_commands_total`` by command and outcome,
``ticket_events_appended_total`` by the events written (a replay writes none), ``ticket_append_events`` per append;
the relay's gauges are read from its status (a standby reports no lag), and a store the host opened has no relay,
group commit or pool metrics."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import httpx

from tests.support.command_api import Desk, bearer
from tests.support.metrics import moved, scrape, value
from ticket_command.metrics import COMMANDS, OUTCOMES, relay_families
from ticket_eventstore.relay import Relay
from ticket_eventstore.relay.settings import RelayStatus


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


async def test_each_append_is_observed_by_its_number_of_events(desk: Desk, client: httpx.AsyncClient) -> None:
    before = await scrape(client)
    ticket = (await desk.create())["aggregate_id"]
    assert (await desk.fire("assign", ticket)).status_code == 200
    after = await scrape(client)
    assert moved(before, after, "ticket_append_events_count") == 2
    assert moved(before, after, "ticket_append_events_sum") == 2
    assert moved(before, after, "ticket_append_events_bucket", le="1.0") == 2


async def test_a_store_the_host_opened_has_no_relay_group_commit_or_pool_metrics(client: httpx.AsyncClient) -> None:
    names = {name for name, _ in await scrape(client)}
    assert "ticket_append_events_count" in names
    assert not [n for n in names if n.startswith(("ticket_relay_", "ticket_group_commit_", "ticket_db_pool_"))]


def test_the_relay_gauges_are_read_from_its_status_and_a_standby_reports_no_lag() -> None:
    relay = SimpleNamespace(status=RelayStatus(leader=True, published_position=7, store_position=10))
    relay.status.behind_seconds, relay.status.rounds_failed = 2.5, 3
    leading = {family.name: family.samples[0].value for family in relay_families(cast(Relay, relay))}
    assert leading == {
        "ticket_relay_leader": 1,
        "ticket_relay_published_position": 7,
        "ticket_relay_store_position": 10,
        "ticket_relay_behind_positions": 3,
        "ticket_relay_behind_seconds": 2.5,
        "ticket_relay_rounds_failed": 3,
    }
    relay.status.leader = False
    standby = {family.name: family.samples[0].value for family in relay_families(cast(Relay, relay))}
    assert standby["ticket_relay_leader"] == 0
    assert standby["ticket_relay_behind_positions"] == standby["ticket_relay_behind_seconds"] == 0
    assert list(relay_families(None)) == []
