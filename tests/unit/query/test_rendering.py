"""Tickets written straight from stored rows are byte for byte the response models' JSON, for every caller, and
plain requests that skip parameter solving get exactly what the full route answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.rendering import CALLERS, assert_rendered_as_the_models, awkward_tickets
from tests.support.scenarios import Ticket, interleaved
from ticket_projector.projector import Projector
from ticket_query import shortcuts
from ticket_query.app import create_app
from ticket_query.rendering import Renderings
from ticket_query.routes import tickets as routes
from ticket_query.settings import QuerySettings
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings, mint_token

SECRET = "unit-test-secret-unit-test-secret"


async def test_rendered_tickets_are_the_response_models_json(read_model: SqliteReadModel) -> None:
    tickets = awkward_tickets()
    await Projector(read_model).apply(interleaved(tickets))
    await assert_rendered_as_the_models(read_model, [t.ticket_id for t in tickets])


async def test_a_new_version_is_rendered_anew(read_model: SqliteReadModel) -> None:
    ticket = Ticket(requester="alice")
    ticket.create(subject="Before")
    await Projector(read_model).apply(interleaved([ticket]))
    renderings, bob = Renderings(), CALLERS[0]
    before = await read_model.ticket_row(ticket.ticket_id)
    assert before is not None and b'"version":1' in renderings.ticket(before, bob)
    ticket.fire("assign")
    await Projector(read_model).apply(ticket.events[1:])
    after = await read_model.ticket_row(ticket.ticket_id)
    assert after is not None and b'"version":2,"place":"assigned"' in renderings.ticket(after, bob)


QUERIES = [
    "",
    "limit=2",
    "limit=100&sort=priority",
    "sort=-updated&place=resolved",
    "assignee=me",
    "requester=carol",
    "priority=urgent&q=fire",
    "q=%25_",
    "place=",
    "limit=0",
    "limit=101",
    "limit=05",
    "limit=+5",
    "limit=5&limit=6",
    "sort=sideways",
    "cursor=not-a-cursor",
    "q=" + "x" * 201,
    "unknown=1",
    "min_position=1",
]


@pytest.mark.parametrize("caller", [("bob", "agent"), ("alice", "customer")])
async def test_plain_requests_get_what_the_full_route_answers(
    read_model: SqliteReadModel, monkeypatch: pytest.MonkeyPatch, caller: tuple[str, str]
) -> None:
    tickets = awkward_tickets()
    await Projector(read_model).apply(interleaved(tickets))
    headers = {"Authorization": f"Bearer {mint_token(SECRET, caller[0], [caller[1]])}"}
    urls = [f"/api/support-ticket?{q}" for q in QUERIES]
    urls += [f"/api/support-ticket/{t.ticket_id}" for t in tickets] + ["/api/support-ticket/nope"]

    async def answers(app: Any, headers: dict[str, str]) -> list[tuple[int, bytes]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://query") as http:
            return [(r.status_code, _without_request_id(r)) for r in [await http.get(u, headers=headers) for u in urls]]

    taken: list[dict[str, Any]] = []

    def spied(request: Any) -> dict[str, Any] | None:
        arguments = shortcuts.list_arguments(request)
        taken.extend([arguments] if arguments is not None else [])
        return arguments

    monkeypatch.setattr(routes, "list_arguments", spied)
    settings = QuerySettings(auth=AuthSettings(secret=SECRET), min_position_timeout_seconds=0)
    fast = await answers(create_app(settings, read_model=read_model), headers)
    assert len(taken) >= 10  # most of the list requests did take the shortcut
    anonymous = await answers(create_app(settings, read_model=read_model), {})
    monkeypatch.setattr(routes, "waits", lambda request: True)  # every request takes the full route
    monkeypatch.setattr(shortcuts, "waits", lambda request: True)
    assert fast == await answers(create_app(settings, read_model=read_model), headers)
    assert anonymous == await answers(create_app(settings, read_model=read_model), {})
    assert {status for status, _ in fast} >= {200, 404, 422}


def _without_request_id(response: httpx.Response) -> bytes:
    return response.content.replace(response.headers["x-request-id"].encode(), b"<id>")
