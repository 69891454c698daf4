"""The query side's pre-rendered JSON checked against its response models, on tickets that are awkward to encode."""

from __future__ import annotations

from datetime import timedelta

from ticket_query.rendering import Renderings
from ticket_query.views import TicketList, ticket_view
from ticket_readmodel.read_model import ReadModel, TicketQuery
from ticket_workflow import Actor

from .privacy import secret_life
from .scenarios import T0, Ticket, busy_day

CALLERS = [
    Actor("bob", frozenset({"agent"})),
    Actor("root", frozenset({"admin"})),
    Actor("alice", frozenset({"customer"})),
    Actor("carol", frozenset({"customer"})),
]


def awkward_tickets() -> list[Ticket]:
    """The busy day, plus text that JSON encoders are known to disagree on, sub-second times, and a ticket with
    staff-only text in every field that holds it."""
    odd = Ticket(requester="alice", at=T0 + timedelta(days=2, microseconds=123), step=timedelta(microseconds=500001))
    odd.create(subject='Quotes " \\ / \u2028 \x7f é 🎫 \x01', description="<script>\n\t</script>", priority="high")
    odd.run("assign", "start_work")
    odd.fire("request_info", message="Line\nbreak \u2029 and ünïcödé")
    return [*busy_day(), odd, secret_life()]


async def assert_rendered_as_the_models(read_model: ReadModel, ticket_ids: list[str]) -> None:
    renderings = Renderings()
    for actor in CALLERS:
        for ticket_id in ticket_ids:
            row, state = await read_model.ticket_row(ticket_id), await read_model.ticket(ticket_id)
            assert row is not None and state is not None
            for _ in range(2):  # written, then kept
                assert renderings.ticket(row, actor) == ticket_view(state, actor).model_dump_json().encode()
        for sort in ("-created", "priority"):
            query = TicketQuery(sort=sort, limit=2)
            rows, states = await read_model.list_ticket_rows(query), await read_model.list_tickets(query)
            expected = TicketList(items=[ticket_view(s, actor) for s in states.items], next_cursor=states.next_cursor)
            assert rows.next_cursor == states.next_cursor
            assert renderings.page(rows.items, rows.next_cursor, actor) == expected.model_dump_json().encode()
