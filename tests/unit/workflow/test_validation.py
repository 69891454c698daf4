from __future__ import annotations

import pytest

from ticket_workflow import SUPPORT_TICKET
from ticket_workflow.net import Arc, Net, Place, Role, Transition
from ticket_workflow.validation import InvalidNet, problems, validate


def test_the_built_in_net_is_well_formed() -> None:
    assert problems(SUPPORT_TICKET) == []


def _net(**overrides: object) -> Net:
    fields: dict[str, object] = {
        "name": "n",
        "places": (Place("a", initial=1), Place("b")),
        "transitions": (Transition("go", "Went", inputs=(Arc("a"),), outputs=(Arc("b"),)),),
        "roles": (Role("user"),),
        "permissions": {"go": ("user",)},
    }
    fields.update(overrides)
    return Net(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"places": (Place("a"), Place("a"), Place("b"))}, "duplicate place 'a'"),
        (
            {"transitions": (Transition("go", "Went", inputs=(Arc("a"),), outputs=(Arc("nowhere"),)),)},
            "unknown place 'nowhere'",
        ),
        (
            {
                "transitions": (
                    Transition("go", "Went", inputs=(Arc("a"),)),
                    Transition("go", "Gone", inputs=(Arc("a"),)),
                )
            },
            "duplicate transition 'go'",
        ),
        ({"roles": (Role("user", inherits=("ghost",)),)}, "inherits from unknown role 'ghost'"),
        (
            {"roles": (Role("user", inherits=("boss",)), Role("boss", inherits=("user",)))},
            "inherits from itself through a cycle",
        ),
        ({"permissions": {"go": ("nobody",)}}, "names unknown role 'nobody'"),
        ({"permissions": {"fly": ("user",)}}, "permission for unknown transition 'fly'"),
        (
            {"transitions": (Transition("go", "Went", inputs=(Arc("a", 0),), outputs=(Arc("b"),)),)},
            "weight 0",
        ),
    ],
)
def test_structural_problems_are_named(overrides: dict[str, object], expected: str) -> None:
    net = _net(**overrides)
    assert any(expected in p for p in problems(net)), problems(net)
    with pytest.raises(InvalidNet, match=expected):
        validate(net)
