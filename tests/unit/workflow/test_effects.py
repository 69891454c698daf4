"""The net's rules as data: ``evolve`` does to the ticket exactly what ``EFFECTS`` says, and nothing else; the
derived rules (staff-only fields, staff roles, what counts as resolved) follow the table; a changed rule changes
behaviour."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.tickets import CUSTOMER, SUPERVISOR, Ticket
from ticket_workflow import (
    EFFECTS,
    SUPPORT_TICKET,
    Actor,
    Effects,
    Net,
    TicketState,
    VersionConflict,
    Writes,
    is_staff,
    may_fire,
    staff_roles,
)
from ticket_workflow.data import DATA_SCHEMAS
from ticket_workflow.effects import NOTE, problems
from ticket_workflow.net import Arc, Place, Role, Transition
from ticket_workflow.ports import STAFF_ROLES
from ticket_workflow.visibility import STAFF_ONLY_DATA, STAFF_ONLY_TICKET_FIELDS, visible_event_data

# What the net moves itself or every event touches; the effects table names every other ticket field it changes.
ALWAYS = {"version", "marking", "updated_at"}
CONVERSATION = {"messages", "notes", "first_response_at"}


def created() -> Ticket:
    ticket = Ticket()
    ticket.create(CUSTOMER, {"subject": "VPN"})
    return ticket


def current(ticket: Ticket) -> TicketState:
    assert ticket.state is not None
    return ticket.state


text = st.text(alphabet="ab", max_size=3)


@st.composite
def steps(draw: st.DrawFn) -> list[tuple[int, dict[str, Any]]]:
    """Which enabled transition to fire (an index) and its data (each field absent or some text)."""
    count = draw(st.integers(min_value=0, max_value=25))
    drawn = []
    for _ in range(count):
        data: dict[str, Any] = {}
        for name in ("note", "reason", "message", "resolution"):
            if draw(st.booleans()):
                data[name] = draw(text)
        if draw(st.booleans()):
            data["assignee"] = draw(st.sampled_from(["bob", "dora"]))
        drawn.append((draw(st.integers(min_value=0, max_value=8)), data))
    return drawn


def actor_for(transition: str) -> Actor:
    """The requester fires what the net lets customers fire; a supervisor fires everything else."""
    return CUSTOMER if may_fire(SUPPORT_TICKET, CUSTOMER.roles, transition) else SUPERVISOR


@given(steps())
def test_every_transition_changes_exactly_what_its_effects_say(drawn: list[tuple[int, dict[str, Any]]]) -> None:
    ticket = created()
    for index, raw in drawn:
        before = current(ticket)
        transition = before.enabled_transitions[index % len(before.enabled_transitions)]
        accepted = DATA_SCHEMAS[transition].model_fields
        data = {k: v for k, v in raw.items() if k in accepted}
        actor = actor_for(transition)
        [event] = ticket.fire(transition, actor, data)
        state, at, effects = current(ticket), event.timestamp, EFFECTS[transition]

        changed = {name for name in TicketState.model_fields if getattr(before, name) != getattr(state, name)}
        assert changed <= ALWAYS | CONVERSATION | effects.ticket_fields(), (transition, changed)
        for name in effects.clears:
            assert getattr(state, name) == TicketState.model_fields[name].default
        if effects.assigns:
            assert state.assignee == data.get(effects.assigns, actor.sub)
            assert event.data[effects.assigns] == state.assignee  # decided into the event: the default included
        for target, source in effects.sets.items():
            assert getattr(state, target) == data.get(source)
        for name in effects.stamps:
            assert getattr(state, name) == at
        for name in effects.counts:
            assert getattr(state, name) == getattr(before, name) + 1

        written = [w for w in effects.writes if data.get(w.field)]
        public = [(w.kind, data[w.field]) for w in written if not w.staff_only]
        staff = [(w.kind, data[w.field]) for w in written if w.staff_only]
        if data.get(NOTE) and is_staff(SUPPORT_TICKET, actor.roles):
            staff.append((transition, data[NOTE]))
        assert [(m.kind, m.body) for m in state.messages[len(before.messages) :]] == public
        assert [(m.kind, m.body) for m in state.notes[len(before.notes) :]] == staff

        answered = effects.first_response and before.first_response_at is None
        assert state.first_response_at == (at if answered else before.first_response_at)


def test_assign_defaults_the_assignee_to_the_caller_as_the_data_says() -> None:
    ticket = created()
    [event] = ticket.fire("assign", SUPERVISOR)
    assert EFFECTS["assign"].assigns == "assignee"
    assert event.data["assignee"] == current(ticket).assignee == "carol"


def test_a_rule_changed_in_the_data_changes_what_decide_and_evolve_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(EFFECTS, "assign", Effects(assigns="assignee", first_response=False))
    monkeypatch.setitem(
        EFFECTS, "start_work", Effects(assigns="note", stamps=("resolved_at",), counts=("reopen_count",))
    )
    named, defaulted = created(), created()
    for ticket in (named, defaulted):
        ticket.fire("assign", SUPERVISOR, {"assignee": "bob"})
        assert current(ticket).first_response_at is None  # assigning no longer answers the customer
    [event] = named.fire("start_work", SUPERVISOR, {"note": "dora"})
    after = current(named)
    assert (after.assignee, after.resolved_at, after.reopen_count) == ("dora", event.timestamp, 1)
    assert after.first_response_at == event.timestamp
    [event] = defaulted.fire("start_work", SUPERVISOR)
    assert event.data["note"] == current(defaulted).assignee == "carol"  # the caller, filled in by decide


def test_what_counts_as_resolved_is_what_stamps_resolved_at() -> None:
    assert {t for t, e in EFFECTS.items() if e.resolves} == {"resolve", "resolve_escalated"}
    assert Effects(stamps=("resolved_at",)).resolves and not Effects(stamps=("closed_at",)).resolves


def test_staff_only_fields_are_derived_from_the_texts_written_as_internal_notes() -> None:
    assert STAFF_ONLY_DATA["Escalateed"] == {"note", "reason"}
    assert {name for name, hidden in STAFF_ONLY_DATA.items() if hidden != {"note"}} == {"Escalateed"}
    assert STAFF_ONLY_TICKET_FIELDS == ("notes", "escalation_reason")
    assert visible_event_data("Reopened", {"reason": "again", "note": "x"}) == {"reason": "again"}
    hidden = Effects(sets={"resolution": "resolution"}, writes=(Writes("resolution", "resolution", staff_only=True),))
    assert hidden.staff_only_data == {"note", "resolution"} and hidden.staff_only_ticket_fields == {"resolution"}


def test_staff_roles_are_read_from_the_net() -> None:
    assert STAFF_ROLES == staff_roles(SUPPORT_TICKET) == {"agent", "supervisor", "admin"}
    one = Transition("go", "Went", inputs=(Arc("a"),), outputs=(Arc("a"),))
    desk = Net(
        "desk",
        (Place("a", initial=1),),
        (one,),
        roles=(Role("clerk", staff=True), Role("boss", inherits=("clerk",)), Role("agent")),
    )
    assert staff_roles(desk) == {"clerk", "boss"}
    assert is_staff(desk, ["boss"]) and not is_staff(desk, ["agent"])


def test_an_effects_table_naming_unknown_fields_or_transitions_is_refused() -> None:
    ticket_fields = tuple(TicketState.model_fields)
    data_fields = {name: tuple(schema.model_fields) for name, schema in DATA_SCHEMAS.items()}
    names = SUPPORT_TICKET.transition_names
    assert problems(EFFECTS, names, ticket_fields, data_fields) == []
    broken = {**EFFECTS, "close": Effects(sets={"closing": "why"}), "merge": Effects()}
    del broken["reopen"]
    assert problems(broken, names, ticket_fields, data_fields) == [
        "transition 'reopen' has no effects",
        "effects of unknown transition 'merge'",
        "effects of 'close' name unknown ticket field 'closing'",
        "effects of 'close' read unknown data field 'why'",
        "effects of 'merge' read unknown data field 'note'",
    ]


def test_a_store_conflict_and_a_stale_expected_version_are_one_rejection() -> None:
    ticket = created()
    with pytest.raises(VersionConflict) as stale:
        ticket.fire("assign", SUPERVISOR, expected_version=0)
    raced = VersionConflict(1, stream_id="t-1")
    assert type(stale.value) is type(raced) and stale.value.code == raced.code == "version_conflict"
    assert (stale.value.expected, stale.value.actual) == (0, 1) and raced.stream_id == "t-1"
