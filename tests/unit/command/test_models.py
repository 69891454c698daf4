"""The command answer built without the model equals the declared response model, field for field and in order."""

from __future__ import annotations

import json

import pytest

from tests.support.tickets import ADMIN, AGENT, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR, Ticket
from ticket_command.models import TicketChange
from ticket_workflow import Actor

PATHS = [[], ["assign"], ["assign", "start_work", "escalate"], ["assign", "start_work", "resolve", "close"]]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("actor", [CUSTOMER, OTHER_CUSTOMER, AGENT, SUPERVISOR, ADMIN])
@pytest.mark.parametrize("position", [None, 42])
def test_the_fast_answer_is_the_models_answer(path: list[str], actor: Actor, position: int | None) -> None:
    ticket = Ticket()
    ticket.create(CUSTOMER, {"subject": "VPN down"})
    for transition in path:
        ticket.fire(transition, AGENT)
    assert ticket.state is not None
    fast = TicketChange.body(ticket.state, actor, position)
    modelled = TicketChange.of(ticket.state, actor, position).model_dump(mode="json")
    assert json.dumps(fast) == json.dumps(modelled)  # same fields, values and order
    TicketChange.model_validate(fast)
