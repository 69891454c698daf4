"""The query API on the PostgreSQL read model: read-your-writes waits for a projection in progress; the JSON
written from stored rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import cast

import asyncpg
import httpx
import pytest

from tests.support.rendering import assert_rendered_as_the_models, awkward_tickets
from tests.support.scenarios import Ticket, busy_day, interleaved
from tests.support.sla_history import EXPECTED, History, as_json
from ticket_eventstore.postgres import create_pool
from ticket_projector.projector import Projector
from ticket_query.app import create_app
from ticket_query.rendering import Renderings
from ticket_query.settings import QuerySettings
from ticket_query.views import TicketList, ticket_view
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.read_model import TicketQuery, TicketRow, make_cursor
from ticket_service.auth import AuthSettings, mint_token
from ticket_workflow import Actor

SECRET = "integration-secret-integration-secret"
AGENT = {"Authorization": f"Bearer {mint_token(SECRET, 'bob', ['agent'])}"}
BOB = Actor("bob", frozenset({"agent"}))


@pytest.fixture
async def read_model(database_url: str) -> AsyncIterator[PostgresReadModel]:
    pool = await create_pool(database_url, max_size=4)
    model = PostgresReadModel(pool, "read_model")
    await model.migrate()
    yield model
    await pool.close()


async def test_a_request_waits_for_the_position_it_asks_for(read_model: PostgresReadModel) -> None:
    await Projector(read_model).apply(interleaved(busy_day()))
    late = Ticket()
    late.create(subject="Arrives while the reader waits")
    [event] = interleaved([late])
    app = create_app(QuerySettings(auth=AuthSettings(secret=SECRET)), read_model=read_model)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http:
        waiting = asyncio.create_task(
            http.get(f"/api/support-ticket/{late.ticket_id}", headers=AGENT, params={"min_position": event.position})
        )
        await asyncio.sleep(0.1)
        await Projector(read_model).apply([event])
        answer = await waiting
        assert answer.status_code == 200, answer.text
        assert answer.json()["subject"] == "Arrives while the reader waits"
        listed = await http.get("/api/support-ticket", headers=AGENT, params={"q": "printer", "sort": "-priority"})
        assert [t["subject"] for t in listed.json()["items"]] == ["Printer on fire"]
        stats = (await http.get("/api/stats", headers=AGENT)).json()
        assert stats["total"] == 4 and stats["median_first_response_seconds"] == 300.0


async def test_out_of_range_versions_and_forged_cursors_are_client_errors(read_model: PostgresReadModel) -> None:
    tickets = busy_day()
    await Projector(read_model).apply(interleaved(tickets))
    app = create_app(QuerySettings(auth=AuthSettings(secret=SECRET)), read_model=read_model)
    forged = make_cursor("priority", [99_999_999_999, "2026-03-02T09:00:00+00:00", "x"])  # beyond smallint
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http:
        for version in (0, 99_999_999_999):  # the second is beyond the database's integer
            answer = await http.get(f"/api/support-ticket/{tickets[0].ticket_id}/at/{version}", headers=AGENT)
            assert answer.status_code == 404, answer.text
            assert answer.json()["code"] == "version_not_found"
        listed = await http.get("/api/support-ticket", headers=AGENT, params={"sort": "priority", "cursor": forged})
        assert listed.status_code == 422, listed.text
        assert listed.json()["field"] == "cursor"


async def test_a_past_version_carries_the_clocks_of_its_time_on_postgres(read_model: PostgresReadModel) -> None:
    history = History()
    await Projector(read_model).apply(history.log)
    app = create_app(QuerySettings(auth=AuthSettings(secret=SECRET)), read_model=read_model)
    customer = {"Authorization": f"Bearer {mint_token(SECRET, 'alice', ['customer'])}"}
    base = f"/api/support-ticket/{history.ticket.ticket_id}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://query") as http:
        for version, expected in EXPECTED.items():
            answer = await http.get(f"{base}/at/{version}", headers=AGENT)
            assert answer.status_code == 200, answer.text
            assert answer.json()["sla"] == as_json(expected), version
            assert (await http.get(f"{base}/at/{version}", headers=customer)).json()["sla"] is None
        early = await http.get(f"/api/support-ticket/{history.early.ticket_id}/at/1", headers=AGENT)
        assert early.json()["sla"] is None  # no policy yet


async def test_rendered_tickets_are_the_response_models_json_on_postgres(read_model: PostgresReadModel) -> None:
    """jsonb keeps keys in an order of its own and timestamptz comes back in UTC: the JSON must not change."""
    tickets = awkward_tickets()
    await Projector(read_model).apply(interleaved(tickets))
    await assert_rendered_as_the_models(read_model, [t.ticket_id for t in tickets])


async def page_json(read_model: PostgresReadModel, renderings: Renderings, query: TicketQuery) -> bytes:
    held, known = renderings.holder()
    page = await read_model.list_ticket_rows(query, known=known)
    return renderings.page(page.items, page.next_cursor, BOB, held)


async def models_json(read_model: PostgresReadModel, query: TicketQuery) -> bytes:
    page = await read_model.list_tickets(query)
    return TicketList(items=[ticket_view(s, BOB) for s in page.items], next_cursor=page.next_cursor).model_dump_json()


async def test_pages_read_in_two_steps_are_the_models_json(read_model: PostgresReadModel) -> None:
    await Projector(read_model).apply(interleaved(awkward_tickets()))
    renderings = Renderings()
    for query in (TicketQuery(limit=2), TicketQuery(sort="priority", limit=3), TicketQuery(limit=100)):
        expected = (await models_json(read_model, query)).encode()
        assert await page_json(read_model, renderings, query) == expected  # some rows already written, some not
        assert await page_json(read_model, renderings, query) == expected  # all written: keys only
    counting = ChangingBetweenSteps(read_model._pool, lambda: asyncio.sleep(0))
    warm = PostgresReadModel(cast(asyncpg.Pool, counting), "read_model")
    await page_json(warm, renderings, TicketQuery(limit=2))
    assert counting.statements == 1  # every ticket of the page already written: one statement of keys


class ChangingBetweenSteps:
    """A pool that counts statements and lets the projection change a ticket right before the second one."""

    def __init__(self, pool: asyncpg.Pool, change: Callable[[], Awaitable[object]]) -> None:
        self.pool, self.change, self.statements = pool, change, 0

    async def fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        self.statements += 1
        if self.statements == 2:
            await self.change()
        return await self.pool.fetch(sql, *args)


async def test_a_row_changed_between_the_two_steps_makes_the_page_one_snapshot_again(
    read_model: PostgresReadModel, database_url: str
) -> None:
    tickets = busy_day()
    await Projector(read_model).apply(interleaved(tickets))
    renderings, query = Renderings(), TicketQuery(sort="created", limit=10)
    await page_json(read_model, renderings, query)
    newest = tickets[2]
    newest.fire("assign")
    pool = await create_pool(database_url, max_size=2)
    try:
        changing = ChangingBetweenSteps(pool, lambda: Projector(read_model).apply(newest.events[-1:]))
        during = PostgresReadModel(cast(asyncpg.Pool, changing), "read_model")

        def known(row: TicketRow) -> bool:
            return bool(row["id"] != newest.ticket_id)  # every row but the one about to change

        page = await during.list_ticket_rows(query, known=known)
        assert changing.statements == 3  # keys, rows by id (found changed), the whole page once more
        assert [row["version"] for row in page.items if row["id"] == newest.ticket_id] == [2]
        assert all("subject" in row for row in page.items)  # whole rows: one snapshot, nothing taken from before
    finally:
        await pool.close()
