"""The query API's metrics: live-update clients connected (up while a stream is open, down when it closes) and the
tickets in each place of the net, read from the read model while the app runs."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

import ticket_query.metrics
from tests.support.asgi import read_stream
from tests.support.command_api import serving
from tests.support.metrics import scrape, until, value
from tests.support.scenarios import Ticket
from ticket_projector.projector import Projector
from ticket_query.app import create_app
from ticket_query.settings import QuerySettings
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings, mint_token
from ticket_service.metrics import registry_of
from ticket_workflow import SUPPORT_TICKET

SECRET = "unit-test-secret-unit-test-secret"


def app_on(read_model: SqliteReadModel) -> FastAPI:
    settings = QuerySettings(auth=AuthSettings(secret=SECRET), stream_poll_seconds=0.01, stream_keepalive_seconds=0.05)
    return create_app(settings, read_model=read_model)


async def test_a_live_client_is_counted_while_its_stream_is_open(read_model: SqliteReadModel) -> None:
    app = app_on(read_model)
    registry = registry_of(app)
    seen: list[float | None] = []

    def enough(body: str) -> bool:
        seen.append(registry.get_sample_value("ticket_live_clients"))
        return body.count(":") >= 2  # two keep-alive comments

    status, _ = await read_stream(app, f"access_token={mint_token(SECRET, 'bob', ['agent'])}", {}, enough)
    assert status == 200
    assert seen and set(seen) == {1}
    assert registry.get_sample_value("ticket_live_clients") == 0


async def test_tickets_are_counted_by_place_every_place_at_zero_first(
    read_model: SqliteReadModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ticket_query.metrics, "REFRESH_SECONDS", 0.02)
    app = app_on(read_model)
    async with serving(app) as client:
        samples = await scrape(client)
        assert {p.name for p in SUPPORT_TICKET.places} == {
            dict(labels)["place"] for name, labels in samples if name == "ticket_tickets"
        }
        assert value(samples, "ticket_tickets", place="new") == 0
        first, second = Ticket(), Ticket()
        first.create()
        first.run("assign")
        second.create()
        events = first.events + second.events
        stored = [e.model_copy(update={"position": i}) for i, e in enumerate(events, start=1)]
        await Projector(read_model).apply(stored)
        samples = await until(client, "ticket_tickets", 1, place="assigned")
        assert value(samples, "ticket_tickets", place="new") == 1
        assert value(samples, "ticket_tickets", place="closed") == 0
        assert value(samples, "ticket_tickets_refreshed_timestamp_seconds") > 0
