"""The embedded app's one ``/metrics``: the command, projector and query metrics of the one process move as
commands flow; what does not exist there (the relay, the consumer group, the group commit, pools) is absent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

import ticket_projector.metrics
import ticket_query.metrics
from tests.support.command_api import SECRET, Desk, serving
from tests.support.metrics import moved, scrape, until, value
from ticket_embedded.app import create_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_service.auth import AuthSettings


@pytest.fixture
async def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setattr(ticket_projector.metrics, "REFRESH_SECONDS", 0.02)
    monkeypatch.setattr(ticket_query.metrics, "REFRESH_SECONDS", 0.02)
    settings = EmbeddedSettings(
        db_path=str(tmp_path / "desk.db"), debug=False, auth=AuthSettings(secret=SECRET), frontend_dir=None
    )
    async with serving(create_app(settings)) as client:
        yield client


async def test_commands_move_the_projector_and_query_metrics_of_the_one_process(client: httpx.AsyncClient) -> None:
    desk = Desk(client)
    before = await scrape(client)
    ticket = (await desk.create())["aggregate_id"]
    assert (await desk.fire("assign", ticket)).status_code == 200
    await desk.create()

    after = await until(client, "ticket_projector_checkpoint_position", 3)
    assert moved(before, after, "ticket_commands_total", command="create", outcome="accepted") == 2
    assert moved(before, after, "ticket_append_events_count") == 3
    assert moved(before, after, "ticket_projector_events_applied_total") == 3
    assert moved(before, after, "ticket_projector_batch_events_count") == 3  # each append projected on its own
    assert moved(before, after, "ticket_projector_batch_duration_seconds_count") == 3
    assert value(after, "ticket_projector_store_position") == 3
    assert value(after, "ticket_projector_behind_positions") == 0
    assert value(after, "ticket_projector_behind_seconds") == 0
    assert value(after, "ticket_projector_halted") == 0
    assert value(after, "ticket_live_clients") == 0

    counted = await until(client, "ticket_tickets", 1, place="assigned")
    assert value(counted, "ticket_tickets", place="new") == 1
    assert value(counted, "ticket_tickets", place="closed") == 0


async def test_what_the_one_process_does_not_run_is_not_reported(client: httpx.AsyncClient) -> None:
    names = {name for name, _ in await scrape(client)}
    assert "ticket_projector_checkpoint_position" in names
    absent = [n for n in names if n.startswith(("ticket_relay_", "ticket_group_commit_", "ticket_db_pool_"))]
    assert absent == []
    assert "ticket_projector_pending_entries" not in names
