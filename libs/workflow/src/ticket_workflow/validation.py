"""Structural checks of a net definition: catches typos in a net before anything runs on it."""

from __future__ import annotations

from collections import Counter

from .net import Net, Role


class InvalidNet(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid net definition: " + "; ".join(problems))


def problems(net: Net) -> list[str]:
    """Every structural problem found in ``net``; an empty list means the net is well formed."""
    found: list[str] = []
    found += _duplicates("place", [p.name for p in net.places])
    found += _duplicates("transition", [t.name for t in net.transitions])
    found += _duplicates("event type", [t.event_type for t in net.transitions])
    found += _duplicates("role", [r.name for r in net.roles])
    places = set(net.place_names)
    for p in net.places:
        if p.initial < 0:
            found.append(f"place {p.name!r} has a negative initial marking")
    for t in net.transitions:
        if not t.inputs:
            found.append(f"transition {t.name!r} has no input arc")
        for kind, arcs in (("input", t.inputs), ("output", t.outputs)):
            for arc in arcs:
                if arc.place not in places:
                    found.append(f"transition {t.name!r} has an {kind} arc to unknown place {arc.place!r}")
                if arc.weight < 1:
                    found.append(f"transition {t.name!r} has an {kind} arc of weight {arc.weight} (< 1)")
    found += _role_problems(net)
    found += _permission_problems(net)
    return found


def validate(net: Net) -> Net:
    """Return ``net`` unchanged, or raise :class:`InvalidNet` listing every problem."""
    found = problems(net)
    if found:
        raise InvalidNet(found)
    return net


def _duplicates(kind: str, names: list[str]) -> list[str]:
    return [f"duplicate {kind} {name!r}" for name, n in Counter(names).items() if n > 1]


def _role_problems(net: Net) -> list[str]:
    roles = {r.name: r for r in net.roles}
    found = [
        f"role {r.name!r} inherits from unknown role {parent!r}"
        for r in net.roles
        for parent in r.inherits
        if parent not in roles
    ]
    for name in roles:
        if _reaches(roles, start=name, target=name):
            found.append(f"role {name!r} inherits from itself through a cycle")
    return found


def _reaches(roles: dict[str, Role], start: str, target: str) -> bool:
    seen: set[str] = set()
    stack = list(roles[start].inherits)
    while stack:
        current = stack.pop()
        if current == target:
            return True
        if current in seen or current not in roles:
            continue
        seen.add(current)
        stack.extend(roles[current].inherits)
    return False


def _permission_problems(net: Net) -> list[str]:
    transitions = set(net.transition_names)
    roles = {r.name for r in net.roles}
    found = [f"permission for unknown transition {t!r}" for t in net.permissions if t not in transitions]
    for t, allowed in net.permissions.items():
        found += [f"permission of {t!r} names unknown role {r!r}" for r in allowed if r not in roles]
    return found
