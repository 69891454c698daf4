"""Service levels at a past version: the clocks from the ticket's events up to it, under the policy the read model
applied then (the latest while open, the one in force at the resolution once resolved), judged at its time."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.sla_history import EXPECTED, History, as_json
from tests.unit.query.test_routes import ALICE, BOB, SECRET
from ticket_projector.projector import Projector
from ticket_query.app import create_app
from ticket_query.settings import QuerySettings
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings


def test_each_version_is_measured_under_the_policy_of_its_time_and_judged_then() -> None:
    history = History()
    for version, expected in EXPECTED.items():
        assert history.at(history.ticket, version) == expected, version


def test_without_a_policy_then_there_were_no_clocks() -> None:
    history = History()
    assert history.at(history.early, 1) is None
    later = history.at(history.early, 2)  # assigned 5 minutes after its creation, the lenient policy in force
    assert later is not None and (later["status"], later["first_response"]["status"]) == ("ok", "met")
    assert later["first_response"]["target_seconds"] == 600 * 60 and later["first_response"]["elapsed_seconds"] == 300


@pytest.fixture
async def client(read_model: SqliteReadModel) -> AsyncIterator[tuple[httpx.AsyncClient, History]]:
    history = History()
    await Projector(read_model).apply(history.log)
    app = create_app(QuerySettings(auth=AuthSettings(secret=SECRET)), read_model=read_model)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http:
        yield http, history


async def test_staff_read_the_clocks_of_a_past_version_and_customers_none(
    client: tuple[httpx.AsyncClient, History],
) -> None:
    http, history = client
    base = f"/api/support-ticket/{history.ticket.ticket_id}"
    for version, expected in EXPECTED.items():
        staff = await http.get(f"{base}/at/{version}", headers=BOB)
        assert staff.status_code == 200, staff.text
        assert staff.json()["sla"] == as_json(expected), version
        customer = await http.get(f"{base}/at/{version}", headers=ALICE)
        assert customer.status_code == 200 and customer.json()["sla"] is None
    now = (await http.get(base, headers=BOB)).json()["sla"]  # the current read: the same policy, the same clocks
    assert now["resolution"] == as_json(EXPECTED[5])["resolution"] and now["status"] == "breached"
    early = f"/api/support-ticket/{history.early.ticket_id}"
    assert (await http.get(f"{early}/at/1", headers=BOB)).json()["sla"] is None
    assert (await http.get(f"{early}/at/2", headers=BOB)).json()["sla"]["first_response"]["target_seconds"] == 36_000
