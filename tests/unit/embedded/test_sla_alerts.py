"""The embedded app runs the service-level timer in its one process (no election, no Redis): a deadline that
passes with no event is raised into the SQLite file, served to staff by ``GET /api/sla/alerts`` and counted on
``/metrics``; the timer stops with the app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.command_api import SECRET, Desk, serving
from tests.support.metrics import scrape, value
from ticket_embedded.app import create_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_projector.inprocess import InProcessProjection
from ticket_readmodel.mapping import stamp
from ticket_service.auth import AuthSettings


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    settings = EmbeddedSettings(
        db_path=str(tmp_path / "desk.db"), debug=False, auth=AuthSettings(secret=SECRET), frontend_dir=None
    )
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as client:
        yield client


async def passed_deadline(app: FastAPI, ticket: str) -> None:
    """The resolution clock warned a minute ago and fell due a second ago (as a policy would have set it)."""
    projection: InProcessProjection = app.state.runtime
    assert projection.projector is not None
    now = datetime.now(UTC)
    warning, due = stamp(now - timedelta(minutes=1)), stamp(now - timedelta(seconds=1))
    async with projection.projector.read_model._db.transaction() as conn:  # type: ignore[attr-defined]
        await conn.execute(
            "UPDATE rm_tickets SET resolution_warning_at = ?, resolution_due_at = ?, sla_warning_at = ? WHERE id = ?",
            (warning, due, warning, ticket),
        )


async def alerts(client: httpx.AsyncClient, headers: dict[str, str], count: int) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            answer = await client.get("/api/sla/alerts", headers=headers)
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            if len(body["alerts"]) >= count:
                return body
            await asyncio.sleep(0.05)


async def test_the_one_process_raises_a_passed_deadline_with_no_event_and_serves_it_to_staff(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    desk = Desk(client)
    ticket = (await desk.create(priority="high"))["aggregate_id"]
    await passed_deadline(app, ticket)
    body = await alerts(client, desk.agent, 2)
    assert [(a["type"], a["ticket_id"], a["clock"], a["seq"]) for a in body["alerts"]] == [
        ("ServiceLevelWarning", ticket, "resolution", 1),
        ("ServiceLevelBreached", ticket, "resolution", 2),
    ]
    assert body["next"] == 2 and body["alerts"][0]["priority"] == "high"
    assert (await client.get("/api/sla/alerts", params={"after": 2}, headers=desk.agent)).json()["alerts"] == []
    refused = await client.get("/api/sla/alerts", headers=desk.customer)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    bad = await client.get("/api/sla/alerts", params={"after": "-1"}, headers=desk.agent)
    assert bad.status_code == 422 and bad.json()["success"] is False

    samples = await scrape(client)
    assert value(samples, "ticket_sla_timer_leader") == 1
    assert value(samples, "ticket_sla_alerts_total", type="ServiceLevelBreached") == 1
    assert value(samples, "ticket_sla_alerts_total", type="ServiceLevelWarning") == 1
    assert value(samples, "ticket_sla_alert_delay_seconds_count") == 2


async def test_the_timer_runs_while_the_app_does(app: FastAPI) -> None:
    projection: InProcessProjection = app.state.runtime
    async with serving(app):
        async with asyncio.timeout(5):
            while not projection.sla_timer.status.leader:  # noqa: ASYNC110 - the timer's task sets it
                await asyncio.sleep(0.01)
        assert projection.sla_timer.alive()
    assert not projection.sla_timer.alive() and not projection.sla_timer.status.leader
