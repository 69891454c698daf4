"""Properties over random firing sequences of the support-ticket net."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ticket_workflow import SUPPORT_TICKET, TransitionNotEnabled, enabled, fire, fold, initial_marking

from .factories import CUSTOMER, SUPERVISOR, Ticket

TRANSITIONS = list(SUPPORT_TICKET.transition_names)
attempts = st.lists(st.sampled_from(TRANSITIONS), max_size=60)


@given(attempts)
def test_fire_succeeds_exactly_when_enabled_says_so_and_one_token_remains(sequence: list[str]) -> None:
    marking = initial_marking(SUPPORT_TICKET)
    for transition in sequence:
        before = dict(marking)
        expected = transition in enabled(SUPPORT_TICKET, marking)
        try:
            marking = fire(SUPPORT_TICKET, marking, transition)
            fired = True
        except TransitionNotEnabled:
            fired = False
        assert fired is expected
        assert before == (marking if not fired else before)  # the input marking is never mutated
        assert sum(marking.values()) == 1
        assert all(n >= 0 for n in marking.values())


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=40))
def test_folding_the_same_events_always_gives_the_same_state(choices: list[int]) -> None:
    ticket = Ticket()
    ticket.create()
    for choice in choices:
        assert ticket.state is not None
        options = ticket.state.enabled_transitions
        transition = options[choice % len(options)]
        actor = CUSTOMER if transition in ("customer_reply", "reopen") else SUPERVISOR
        ticket.fire(transition, actor=actor)
    assert fold(ticket.events) == fold(list(ticket.events)) == ticket.state
    assert ticket.state is not None and sum(ticket.state.marking.values()) == 1
    assert ticket.state.version == len(ticket.events)
