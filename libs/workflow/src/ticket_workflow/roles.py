"""Role inheritance and the question every command asks: may these roles fire this transition?"""

from __future__ import annotations

from collections.abc import Iterable

from .net import Net


class UnknownRole(ValueError):
    def __init__(self, role: str, known: Iterable[str]) -> None:
        super().__init__(f"unknown role {role!r}; known roles: {', '.join(known)}")
        self.role = role


def effective_roles(net: Net, roles: Iterable[str]) -> frozenset[str]:
    """The given roles plus every role they inherit, transitively (admin -> supervisor -> agent)."""
    by_name = net.roles_by_name
    result: set[str] = set()
    stack = list(roles)
    while stack:
        name = stack.pop()
        if name in result:
            continue
        if name not in by_name:
            raise UnknownRole(name, by_name)
        result.add(name)
        stack.extend(by_name[name].inherits)
    return frozenset(result)


def may_fire(net: Net, roles: Iterable[str], transition: str) -> bool:
    allowed = net.permissions.get(transition, ())
    return not effective_roles(net, roles).isdisjoint(allowed)


def permitted(net: Net, roles: Iterable[str]) -> list[str]:
    """The transitions these roles may fire in some state, in the net's order."""
    held = effective_roles(net, roles)
    return [t for t in net.transition_names if not held.isdisjoint(net.permissions.get(t, ()))]


def is_staff(net: Net, roles: Iterable[str]) -> bool:
    """Staff (a role the net marks ``staff``, or one inheriting it) see and act on every ticket.

    Asked on every request: answered from the net's precomputed :attr:`~ticket_workflow.net.Net.staff_holders`."""
    held = tuple(roles)
    known = net.roles_by_name
    for role in held:
        if role not in known:
            raise UnknownRole(role, known)
    return not net.staff_holders.isdisjoint(held)


def staff_roles(net: Net) -> frozenset[str]:
    """Every role that makes whoever holds it staff."""
    return net.staff_holders
