from __future__ import annotations

import pytest

from tests.support.tickets import ADMIN, AGENT, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR, Ticket
from ticket_workflow import (
    InvalidData,
    NotEnabled,
    NotPermitted,
    TicketAlreadyExists,
    TicketNotFound,
    VersionConflict,
    available_transitions,
    fold,
)
from ticket_workflow.data import LONG_TEXT


def test_creation_puts_the_initial_marking_in_place_with_the_ticket_fields() -> None:
    ticket = Ticket()
    [event] = ticket.create(data={"subject": "Printer on fire", "priority": "urgent"})
    assert event.type == "Created" and event.version == 1
    assert event.data["aggregate_id"] == "t-1" and "timestamp" in event.data
    assert ticket.state is not None
    assert ticket.state.place == "new"
    assert (ticket.state.subject, ticket.state.priority, ticket.state.requester) == (
        "Printer on fire",
        "urgent",
        "alice",
    )
    assert ticket.state.enabled_transitions == ["assign"]


def test_the_specifications_clients_send_no_data_at_all() -> None:
    ticket = Ticket()
    ticket.create()
    for transition in ["assign", "start_work", "resolve", "close"]:
        ticket.fire(transition, data=None)
    ticket.fire("reopen", actor=CUSTOMER)
    assert ticket.state is not None and ticket.state.place == "new" and ticket.state.version == 6


def test_assign_defaults_to_the_caller_and_accepts_a_named_assignee() -> None:
    ticket = Ticket()
    ticket.create()
    [event] = ticket.fire("assign")
    assert event.data["assignee"] == "bob"
    other = Ticket("t-2")
    other.create()
    other.fire("assign", data={"assignee": "erin", "note": "night shift"})
    assert other.state is not None and other.state.assignee == "erin"


def test_the_conversation_and_timestamps_follow_the_events() -> None:
    ticket = Ticket()
    ticket.create()
    ticket.fire("assign")
    ticket.fire("start_work")
    ticket.fire("request_info", data={"message": "Which model?"})
    ticket.fire("customer_reply", actor=CUSTOMER, data={"message": "LaserJet 4"})
    ticket.fire("resolve", data={"resolution": "Replaced fuser"})
    ticket.fire("close")
    state = ticket.state
    assert state is not None
    assert [(m.author, m.kind, m.body, m.staff) for m in state.messages] == [
        ("bob", "request_info", "Which model?", True),
        ("alice", "customer_reply", "LaserJet 4", False),
        ("bob", "resolution", "Replaced fuser", True),
    ]
    assert state.resolution == "Replaced fuser"
    assert state.created_at and state.first_response_at and state.resolved_at and state.closed_at
    assert state.created_at < state.first_response_at < state.resolved_at < state.closed_at
    ticket.fire("reopen", actor=CUSTOMER, data={"reason": "Still smoking"})
    assert ticket.state is not None
    assert (ticket.state.reopen_count, ticket.state.closed_at, ticket.state.assignee) == (1, None, None)
    assert (ticket.state.messages[-1].kind, ticket.state.messages[-1].body) == ("reopen", "Still smoking")


def test_refusals_are_typed() -> None:
    ticket = Ticket()
    with pytest.raises(TicketNotFound):
        ticket.fire("assign")
    ticket.create()
    with pytest.raises(TicketAlreadyExists):
        ticket.create()
    with pytest.raises(NotEnabled, match="'resolve' is not enabled: the ticket is in 'new'"):
        ticket.fire("resolve")
    with pytest.raises(NotPermitted, match="may not fire 'assign'"):
        ticket.fire("assign", actor=CUSTOMER)
    with pytest.raises(VersionConflict):
        ticket.fire("assign", expected_version=7)
    ticket.fire("assign", expected_version=1)


def test_a_customer_acts_only_on_its_own_tickets() -> None:
    ticket = Ticket()
    ticket.create()
    for transition in ["assign", "start_work", "request_info"]:
        ticket.fire(transition)
    for transition in ("customer_reply", "assign"):  # allowed to customers or not: the ticket is not there
        with pytest.raises(TicketNotFound, match="does not exist"):
            ticket.fire(transition, actor=OTHER_CUSTOMER)
    assert ticket.state is not None
    assert available_transitions(ticket.state, OTHER_CUSTOMER) == []
    assert available_transitions(ticket.state, CUSTOMER) == ["customer_reply"]


def test_only_staff_file_tickets_for_someone_else() -> None:
    with pytest.raises(NotPermitted):
        Ticket().create(actor=CUSTOMER, data={"requester": "mallory"})
    ticket = Ticket()
    ticket.create(actor=AGENT, data={"requester": "alice"})
    assert ticket.state is not None and ticket.state.requester == "alice"


def test_available_transitions_follow_roles_and_inheritance() -> None:
    ticket = Ticket()
    ticket.create()
    for transition in ["assign", "start_work", "escalate"]:
        ticket.fire(transition)
    assert ticket.state is not None
    assert available_transitions(ticket.state, AGENT) == []
    assert available_transitions(ticket.state, SUPERVISOR) == ["resolve_escalated"]
    assert available_transitions(ticket.state, ADMIN) == ["resolve_escalated"]


@pytest.mark.parametrize(
    ("transition", "data", "field"),
    [
        ("assign", {"assigne": "typo"}, "data.assigne"),
        ("assign", {"assignee": ""}, "data.assignee"),
        ("escalate", {"reason": 5}, "data.reason"),
        ("start_work", {"note": "x" * 2001}, "data.note"),
        ("start_work", ["not", "an", "object"], "data"),
    ],
)
def test_invalid_data_names_the_field(transition: str, data: object, field: str) -> None:
    ticket = Ticket()
    ticket.create()
    if transition != "assign":
        ticket.fire("assign")
    if transition == "escalate":
        ticket.fire("start_work")
    with pytest.raises(InvalidData) as refused:
        ticket.fire(transition, data=data)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_oversized_messages_are_refused() -> None:
    ticket = Ticket()
    ticket.create()
    ticket.fire("assign")
    ticket.fire("start_work")
    with pytest.raises(InvalidData, match=r"data\.message"):
        ticket.fire("request_info", data={"message": "x" * (LONG_TEXT + 1)})
    with pytest.raises(InvalidData, match=r"data\.priority"):
        Ticket("t-3").create(data={"priority": "whenever"})


def test_folding_the_recorded_events_rebuilds_the_state() -> None:
    ticket = Ticket()
    ticket.create(data={"subject": "s"})
    for transition in ["assign", "start_work", "escalate"]:
        ticket.fire(transition)
    assert fold(ticket.events) == ticket.state


def test_the_seed_view_lists_every_place_and_what_the_caller_may_fire() -> None:
    from ticket_workflow import seed_view

    ticket = Ticket()
    ticket.create()
    ticket.fire("assign")
    assert ticket.state is not None
    view = seed_view(ticket.state, AGENT)
    assert view == {
        "aggregate_id": "t-1",
        "version": 2,
        "place": "assigned",
        "state": {
            "new": 0,
            "assigned": 1,
            "in_progress": 0,
            "escalated": 0,
            "pending_customer": 0,
            "resolved": 0,
            "closed": 0,
        },
        "enabled_transitions": ["start_work"],
        "available_transitions": ["start_work"],
    }
    assert seed_view(ticket.state, CUSTOMER)["available_transitions"] == []
