"""The projector service's metrics on PostgreSQL and Redis: events applied, the checkpoint and the lag, the
consumer group's pending entries (one delivered ahead of the store stays pending until the store has it), the
read model's pool."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

import ticket_projector.metrics
from tests.integration.projector.conftest import Harness, eventually
from tests.support.command_api import serving
from tests.support.metrics import moved, scrape, until, value
from tests.support.scenarios import Ticket
from ticket_projector.app import create_app


@pytest.fixture
async def client(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setattr(ticket_projector.metrics, "REFRESH_SECONDS", 0.05)
    async with serving(create_app(harness.settings)) as client:
        yield client


async def test_the_projector_metrics_move_and_pending_entries_are_counted(
    harness: Harness, client: httpx.AsyncClient
) -> None:
    await eventually(lambda: _ready(client))  # consuming the stream
    t = Ticket()
    t.create()
    t.run("assign", "start_work")
    [first] = await harness.append(t.events[:1])
    first_position = first.position or 0
    before = await scrape(client)
    await harness.publish([first])
    applied = await until(client, "ticket_projector_checkpoint_position", first_position, within=30)
    assert moved(before, applied, "ticket_projector_events_applied_total") == 1
    await until(client, "ticket_projector_pending_entries", 0, within=30)  # acknowledged after the commit
    assert value(applied, "ticket_projector_halted") == 0
    assert value(applied, "ticket_db_pool_connections_max", pool="read_model") == 4

    # An entry two positions ahead: the store does not hold the one between yet, so it waits, unacknowledged.
    ahead = t.events[2].model_copy(update={"position": first_position + 2})
    await harness.publish([ahead])
    waiting = await until(client, "ticket_projector_pending_entries", 1, within=30)
    assert value(waiting, "ticket_projector_checkpoint_position") == first_position

    rest = await harness.append(t.events[1:])
    await until(client, "ticket_projector_pending_entries", 0, within=30)
    caught_up = await until(client, "ticket_projector_checkpoint_position", rest[-1].position or 0, within=30)
    assert value(caught_up, "ticket_projector_behind_positions") == 0
    assert value(caught_up, "ticket_projector_behind_seconds") == 0
    assert moved(before, caught_up, "ticket_projector_gap_catchups_total") >= 1
    assert moved(before, caught_up, "ticket_projector_events_applied_total") == 3


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/ready")).status_code == 200
