"""Petri-net structure and semantics: what is enabled in a marking, and what firing does.

Pure functions over immutable data. A marking is a mapping from place name to token count; functions
never mutate the marking they are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

Marking = Mapping[str, int]


@dataclass(frozen=True)
class Place:
    name: str
    description: str = ""
    initial: int = 0


@dataclass(frozen=True)
class Arc:
    place: str
    weight: int = 1


@dataclass(frozen=True)
class Transition:
    name: str
    event_type: str
    description: str = ""
    inputs: tuple[Arc, ...] = ()
    outputs: tuple[Arc, ...] = ()


@dataclass(frozen=True)
class Role:
    name: str
    description: str = ""
    inherits: tuple[str, ...] = ()
    staff: bool = False  # whoever holds it, or a role inheriting it, is staff: sees and acts on every ticket


@dataclass(frozen=True)
class Net:
    """A named Petri net with the roles that may fire its transitions."""

    name: str
    places: tuple[Place, ...]
    transitions: tuple[Transition, ...]
    roles: tuple[Role, ...] = ()
    # transition name -> roles that may fire it (before inheritance is applied)
    permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def place_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.places)

    @property
    def transition_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.transitions)

    def transition(self, name: str) -> Transition:
        try:
            return self._transitions_by_name[name]
        except KeyError:
            raise UnknownTransition(name, self.transition_names) from None

    # Derived lookups, computed once per net: every command and every read asks them.
    @cached_property
    def _transitions_by_name(self) -> dict[str, Transition]:
        return {t.name: t for t in self.transitions}

    @cached_property
    def roles_by_name(self) -> dict[str, Role]:
        return {r.name: r for r in self.roles}

    @cached_property
    def staff_holders(self) -> frozenset[str]:
        """The roles that make whoever holds one staff: marked ``staff``, or inheriting such a role."""
        by_name = self.roles_by_name

        def staff(name: str, seen: frozenset[str] = frozenset()) -> bool:
            role = by_name.get(name)
            if role is None or name in seen:
                return False
            return role.staff or any(staff(parent, seen | {name}) for parent in role.inherits)

        return frozenset(r.name for r in self.roles if staff(r.name))


class UnknownTransition(LookupError):
    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown transition {name!r}; known: {', '.join(known)}")
        self.name = name


class TransitionNotEnabled(ValueError):
    """Raised when firing a transition whose input places lack tokens."""

    def __init__(self, transition: str, marking: Marking) -> None:
        self.transition = transition
        self.marking = dict(marking)
        marked = describe_marking(marking)
        super().__init__(f"transition {transition!r} is not enabled in marking {marked}")


def describe_marking(marking: Marking) -> str:
    """The marked places, e.g. ``{in_progress: 1}`` (``{}`` when empty)."""
    marked = ", ".join(f"{p}: {n}" for p, n in marking.items() if n)
    return "{" + marked + "}"


def initial_marking(net: Net) -> dict[str, int]:
    return {p.name: p.initial for p in net.places}


def is_enabled(net: Net, marking: Marking, transition: str) -> bool:
    t = net.transition(transition)
    return all(marking.get(arc.place, 0) >= arc.weight for arc in t.inputs)


def enabled(net: Net, marking: Marking) -> list[str]:
    """Names of the transitions enabled in ``marking``, in the net's declared order."""
    return [t.name for t in net.transitions if is_enabled(net, marking, t.name)]


def fire(net: Net, marking: Marking, transition: str) -> dict[str, int]:
    """The marking after firing ``transition``: a new dict, the input is left untouched."""
    if not is_enabled(net, marking, transition):
        raise TransitionNotEnabled(transition, marking)
    t = net.transition(transition)
    after = {name: marking.get(name, 0) for name in net.place_names}
    for arc in t.inputs:
        after[arc.place] -= arc.weight
    for arc in t.outputs:
        after[arc.place] += arc.weight
    return after


def marked_places(marking: Marking) -> list[str]:
    return [p for p, n in marking.items() if n > 0]
