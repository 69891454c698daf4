"""The conversation beside the workflow: replies and internal notes leave the marking as it is."""

from __future__ import annotations

import pytest

from tests.support.tickets import AGENT, CUSTOMER, OTHER_CUSTOMER, SUPERVISOR, Ticket
from ticket_workflow import (
    EVENT_TYPES,
    NOTE_ADDED,
    REPLY_ADDED,
    TRANSITION_BY_EVENT,
    InvalidData,
    NotPermitted,
    TicketClosed,
    TicketNotFound,
    VersionConflict,
)
from ticket_workflow.data import LONG_TEXT
from ticket_workflow.visibility import visible_event_data, visible_ticket


def in_progress() -> Ticket:
    ticket = Ticket()
    ticket.create()
    ticket.fire("assign")
    ticket.fire("start_work")
    return ticket


def test_replies_and_notes_are_events_of_the_ticket_that_leave_the_marking_as_it_is() -> None:
    ticket = in_progress()
    assert ticket.state is not None
    before = ticket.state
    [reply] = ticket.post("Any update?", actor=CUSTOMER)
    [note] = ticket.post("vendor overbilled us", actor=AGENT, internal=True)
    after = ticket.state
    assert after is not None
    assert (reply.type, note.type) == (REPLY_ADDED, NOTE_ADDED)
    assert reply.data["body"] == "Any update?" and note.data["body"] == "vendor overbilled us"
    assert after.marking == before.marking and after.version == before.version + 2
    assert after.enabled_transitions == before.enabled_transitions
    assert [(m.author, m.kind, m.staff) for m in after.messages] == [("alice", "reply", False)]
    assert [(m.author, m.kind, m.body, m.staff) for m in after.notes] == [("bob", "note", "vendor overbilled us", True)]
    assert after.updated_at == note.timestamp


def test_the_nets_event_names_stay_as_specified_and_the_conversation_events_are_not_transitions() -> None:
    assert REPLY_ADDED not in TRANSITION_BY_EVENT and NOTE_ADDED not in TRANSITION_BY_EVENT
    assert {REPLY_ADDED, NOTE_ADDED} <= set(EVENT_TYPES)
    assert {"Escalateed", "RequestInfoed", "CustomerReplyed", "Resolveed", "Closeed"} <= set(EVENT_TYPES)


def test_anyone_who_may_see_the_ticket_replies_in_any_state_but_closed() -> None:
    ticket = Ticket()
    ticket.create()
    ticket.post("Hello?", actor=CUSTOMER)  # new: nobody assigned yet
    ticket.post("Looking at it", actor=SUPERVISOR)
    for transition in ["assign", "start_work", "resolve"]:
        ticket.fire(transition)
    ticket.post("Thanks!", actor=CUSTOMER)  # resolved
    ticket.fire("close")
    with pytest.raises(TicketClosed):
        ticket.post("One more thing", actor=CUSTOMER)
    with pytest.raises(TicketClosed):
        ticket.post("Closing remark", actor=AGENT)
    ticket.post("closed after the customer confirmed", actor=AGENT, internal=True)  # notes stay possible
    ticket.fire("reopen", actor=CUSTOMER)
    ticket.post("It broke again", actor=CUSTOMER)
    assert ticket.state is not None
    assert [m.body for m in ticket.state.messages if m.kind == "reply"] == [
        "Hello?",
        "Looking at it",
        "Thanks!",
        "It broke again",
    ]


def test_customers_write_no_notes_and_nothing_on_tickets_of_others() -> None:
    ticket = in_progress()
    with pytest.raises(NotPermitted):
        ticket.post("let me see", actor=CUSTOMER, internal=True)
    with pytest.raises(TicketNotFound):
        ticket.post("hi", actor=OTHER_CUSTOMER)
    with pytest.raises(TicketNotFound):
        Ticket("missing").post("hi")


def test_a_message_needs_text_within_the_limit_and_may_name_the_version() -> None:
    ticket = in_progress()
    with pytest.raises(InvalidData) as empty:
        ticket.post("   ")
    assert empty.value.field == "data.body"
    with pytest.raises(InvalidData):
        ticket.post("x" * (LONG_TEXT + 1))
    with pytest.raises(VersionConflict):
        ticket.post("stale", expected_version=1)
    ticket.post("fresh", expected_version=3)


def test_the_first_response_is_the_first_staff_answer_not_a_note_or_the_customers_own_reply() -> None:
    ticket = Ticket()
    ticket.create()
    ticket.post("Anyone there?", actor=CUSTOMER)
    ticket.post("customer sounds upset", actor=AGENT, internal=True)
    assert ticket.state is not None and ticket.state.first_response_at is None
    [answer] = ticket.post("We are on it", actor=AGENT)
    assert ticket.state.first_response_at == answer.timestamp


def test_staff_notes_of_transitions_and_escalation_reasons_are_internal_notes() -> None:
    ticket = in_progress()
    ticket.fire("escalate", data={"reason": "INTERNAL: vendor overbilled us", "note": "see contract"})
    assert ticket.state is not None
    assert [(n.kind, n.body) for n in ticket.state.notes] == [
        ("escalation", "INTERNAL: vendor overbilled us"),
        ("escalate", "see contract"),
    ]
    assert all("INTERNAL" not in m.body and "contract" not in m.body for m in ticket.state.messages)


def test_a_customer_reads_no_staff_only_field_of_a_ticket_or_an_event() -> None:
    ticket = in_progress()
    [escalation] = ticket.fire("escalate", data={"reason": "secret reason", "note": "secret note"})
    [note] = ticket.post("secret internal", internal=True)
    [reply] = ticket.post("public words", actor=CUSTOMER)
    assert visible_event_data(note.type, note.data) is None
    assert visible_event_data(escalation.type, escalation.data) == {
        "aggregate_id": "t-1",
        "timestamp": escalation.data["timestamp"],
    }
    assert visible_event_data(reply.type, reply.data) == reply.data
    assert ticket.state is not None
    shown = visible_ticket(ticket.state.model_dump(mode="json"))
    assert shown["notes"] == [] and shown["escalation_reason"] is None
    assert "secret" not in str(shown) and "public words" in str(shown)
