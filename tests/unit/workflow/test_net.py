"""The built-in net is the specification's net, and its semantics are those of a Petri net."""

from __future__ import annotations

import pytest

from ticket_workflow import SUPPORT_TICKET, TransitionNotEnabled, enabled, fire, initial_marking
from ticket_workflow.net import Arc, Net, Place, Transition, is_enabled

PLACES = ["new", "assigned", "in_progress", "escalated", "pending_customer", "resolved", "closed"]
ARCS = {  # transition: (event type, from, to), as the specification's tables and diagrams give them
    "assign": ("Assigned", "new", "assigned"),
    "start_work": ("StartWorked", "assigned", "in_progress"),
    "escalate": ("Escalateed", "in_progress", "escalated"),
    "request_info": ("RequestInfoed", "in_progress", "pending_customer"),
    "customer_reply": ("CustomerReplyed", "pending_customer", "in_progress"),
    "resolve": ("Resolveed", "in_progress", "resolved"),
    "resolve_escalated": ("ResolveEscalated", "escalated", "resolved"),
    "close": ("Closeed", "resolved", "closed"),
    "reopen": ("Reopened", "closed", "new"),
}


def only(place: str) -> dict[str, int]:
    return {p: int(p == place) for p in PLACES}


def test_places_and_initial_marking_match_the_specification() -> None:
    assert list(SUPPORT_TICKET.place_names) == PLACES
    assert initial_marking(SUPPORT_TICKET) == only("new")


def test_transitions_arcs_and_event_types_match_the_specification() -> None:
    assert list(SUPPORT_TICKET.transition_names) == list(ARCS)
    for t in SUPPORT_TICKET.transitions:
        event_type, source, target = ARCS[t.name]
        assert (t.event_type, [a.place for a in t.inputs], [a.place for a in t.outputs]) == (
            event_type,
            [source],
            [target],
        )
        assert all(a.weight == 1 for a in (*t.inputs, *t.outputs))


@pytest.mark.parametrize(
    ("path", "end"),
    [
        (["assign", "start_work", "resolve", "close"], "closed"),  # happy path
        (["assign", "start_work", "escalate", "resolve_escalated", "close"], "closed"),  # escalation
        (["assign", "start_work", "request_info", "customer_reply", "resolve"], "resolved"),  # info request
        (["assign", "start_work", "resolve", "close", "reopen", "assign"], "assigned"),  # reopen
    ],
)
def test_every_path_of_the_specification_fires(path: list[str], end: str) -> None:
    marking = initial_marking(SUPPORT_TICKET)
    for transition in path:
        marking = fire(SUPPORT_TICKET, marking, transition)
    assert marking == only(end)


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("transition", list(ARCS))
def test_a_transition_is_refused_from_every_place_it_does_not_start_from(transition: str, place: str) -> None:
    marking = only(place)
    starts_here = ARCS[transition][1] == place
    assert is_enabled(SUPPORT_TICKET, marking, transition) is starts_here
    if starts_here:
        assert fire(SUPPORT_TICKET, marking, transition) == only(ARCS[transition][2])
    else:
        with pytest.raises(TransitionNotEnabled) as refused:
            fire(SUPPORT_TICKET, marking, transition)
        assert transition in str(refused.value) and place in str(refused.value)


def test_enabled_lists_transitions_in_declared_order() -> None:
    assert enabled(SUPPORT_TICKET, only("in_progress")) == ["escalate", "request_info", "resolve"]
    assert enabled(SUPPORT_TICKET, only("new")) == ["assign"]


def test_arc_weights_are_honoured() -> None:
    net = Net(
        name="weights",
        places=(Place("a", initial=3), Place("b")),
        transitions=(Transition("move", "Moved", inputs=(Arc("a", 2),), outputs=(Arc("b", 3),)),),
    )
    once = fire(net, initial_marking(net), "move")
    assert once == {"a": 1, "b": 3}
    assert enabled(net, once) == []
    with pytest.raises(TransitionNotEnabled):
        fire(net, once, "move")
