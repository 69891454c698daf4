"""Properties over random firing sequences of the support-ticket net, each checked against an oracle written
independently of the code under test: the specification's table of moves, a deep copy taken before, and a
ticket's facts counted from its events."""

from __future__ import annotations

import copy

from hypothesis import given
from hypothesis import strategies as st

from tests.support.tickets import CUSTOMER, SUPERVISOR, Ticket
from ticket_workflow import (
    SUPPORT_TICKET,
    Event,
    TicketState,
    TransitionNotEnabled,
    enabled,
    evolve,
    fire,
    fold,
    initial_marking,
    may_fire,
)

TRANSITIONS = list(SUPPORT_TICKET.transition_names)
# Each attempt fires one of the transitions enabled now (True) or any transition at all (False).
attempts = st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=20)), max_size=60)

# The specification's table: where each transition takes the ticket's one token.
MOVES = {
    "assign": ("new", "assigned"),
    "start_work": ("assigned", "in_progress"),
    "escalate": ("in_progress", "escalated"),
    "request_info": ("in_progress", "pending_customer"),
    "customer_reply": ("pending_customer", "in_progress"),
    "resolve": ("in_progress", "resolved"),
    "resolve_escalated": ("escalated", "resolved"),
    "close": ("resolved", "closed"),
    "reopen": ("closed", "new"),
}


def test_the_table_names_every_transition_of_the_net() -> None:
    assert set(MOVES) == set(TRANSITIONS)


@given(attempts)
def test_fire_moves_the_token_as_the_table_says_and_never_mutates_its_input(sequence: list[tuple[bool, int]]) -> None:
    marking = initial_marking(SUPPORT_TICKET)
    place = "new"
    for among_enabled, choice in sequence:
        options = enabled(SUPPORT_TICKET, marking) if among_enabled else TRANSITIONS
        transition = options[choice % len(options)]
        given_marking, taken_before = marking, copy.deepcopy(marking)
        source, target = MOVES[transition]
        assert (transition in enabled(SUPPORT_TICKET, marking)) is (place == source)
        try:
            marking = fire(SUPPORT_TICKET, given_marking, transition)
            fired = True
        except TransitionNotEnabled:
            fired = False
        assert fired is (place == source)
        assert given_marking == taken_before  # fired or refused, the marking passed in is left as it was
        if fired:
            place = target
        assert {p for p, n in marking.items() if n} == {place}
        assert marking[place] == 1 and all(n >= 0 for n in marking.values())


def _customer_fires(transition: str) -> bool:
    return may_fire(SUPPORT_TICKET, CUSTOMER.roles, transition)


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=40))
def test_the_fold_agrees_with_the_facts_counted_from_the_events(choices: list[int]) -> None:
    ticket = Ticket()
    ticket.create()
    fired: list[str] = []
    for choice in choices:
        assert ticket.state is not None
        options = ticket.state.enabled_transitions
        transition = options[choice % len(options)]
        ticket.fire(transition, actor=CUSTOMER if _customer_fires(transition) else SUPERVISOR)
        fired.append(transition)

    # Folded from the events as a store returns them (JSON in, new objects out), not from the builder's objects.
    stored = [Event.model_validate_json(e.model_dump_json()) for e in ticket.events]
    state = fold(stored)
    assert state is not None and state == ticket.state

    # The facts, counted from the sequence fired rather than read from the aggregate's code.
    since_reopen = fired[len(fired) - fired[::-1].index("reopen") :] if "reopen" in fired else fired
    place = MOVES[fired[-1]][1] if fired else "new"
    assert state.place == place
    assert state.version == len(fired) + 1 == len(stored)
    assert state.reopen_count == fired.count("reopen")
    assert state.assignee == (SUPERVISOR.sub if "assign" in since_reopen else None)
    assert (state.resolved_at is not None) is (place in ("resolved", "closed"))
    assert (state.closed_at is not None) is (place == "closed")
    assert state.created_at == stored[0].timestamp and state.updated_at == stored[-1].timestamp


@given(st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=30), st.data())
def test_folding_in_two_parts_gives_what_folding_at_once_gives(choices: list[int], data: st.DataObject) -> None:
    """What a projector does: keep the state of a prefix, then fold the rest onto it."""
    ticket = Ticket()
    ticket.create()
    for choice in choices:
        assert ticket.state is not None
        options = ticket.state.enabled_transitions
        transition = options[choice % len(options)]
        ticket.fire(transition, actor=CUSTOMER if _customer_fires(transition) else SUPERVISOR)
    cut = data.draw(st.integers(min_value=1, max_value=len(ticket.events)))
    prefix = fold(ticket.events[:cut])
    snapshot = copy.deepcopy(prefix)
    state: TicketState | None = prefix
    for event in ticket.events[cut:]:
        state = evolve(state, event)
    assert state == fold(ticket.events)
    assert prefix == snapshot  # folding on did not change the kept state
