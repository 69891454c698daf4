"""The role-by-transition matrix is the specification's table with inheritance applied, cell by cell."""

from __future__ import annotations

import pytest

from ticket_workflow import SUPPORT_TICKET, UnknownRole, effective_roles, may_fire, permitted

AGENT = {"assign", "start_work", "escalate", "request_info", "resolve", "close"}
MAY = {
    "customer": {"customer_reply", "reopen"},
    "agent": AGENT,
    "supervisor": AGENT | {"resolve_escalated"},
    "admin": AGENT | {"resolve_escalated"},
}


@pytest.mark.parametrize("role", list(MAY))
@pytest.mark.parametrize("transition", list(SUPPORT_TICKET.transition_names))
def test_matrix_cell(role: str, transition: str) -> None:
    assert may_fire(SUPPORT_TICKET, [role], transition) is (transition in MAY[role])


def test_inheritance_is_transitive() -> None:
    assert effective_roles(SUPPORT_TICKET, ["admin"]) == {"admin", "supervisor", "agent"}
    assert effective_roles(SUPPORT_TICKET, ["customer"]) == {"customer"}


def test_several_roles_combine() -> None:
    assert set(permitted(SUPPORT_TICKET, ["customer", "agent"])) == MAY["customer"] | AGENT


def test_no_roles_may_fire_nothing() -> None:
    assert permitted(SUPPORT_TICKET, []) == []


def test_unknown_role_is_refused() -> None:
    with pytest.raises(UnknownRole, match="'root'"):
        may_fire(SUPPORT_TICKET, ["root"], "assign")
