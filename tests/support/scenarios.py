"""Scripts of ticket lives as recorded events, for projection, read-model, query and end-to-end tests.

Every event is decided by the net (:mod:`tests.support.tickets`): a script can only say what a user does, never
what the event holds. ``raw`` is the one exception, for poison events the net would never decide.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ticket_workflow import SUPPORT_TICKET, Actor, Event, EventMetadata, is_staff, may_fire

from . import tickets

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_positions: Iterator[int] = itertools.count(1)


@dataclass
class Ticket:
    """One ticket's events, numbered and timed; ``positions`` numbers them globally (the store renumbers).

    A transition is fired by the requester when the net lets customers fire it, else by the ticket's agent holding
    the least staff role the net lets fire it, unless ``actor`` and ``roles`` say otherwise.
    """

    requester: str = "alice"
    agent: str = "bob"
    ticket_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    at: datetime = T0
    step: timedelta = timedelta(minutes=5)
    positions: Iterator[int] = field(default_factory=lambda: _positions)
    life: tickets.Ticket = field(init=False)

    def __post_init__(self) -> None:
        self.life = tickets.Ticket(self.ticket_id, at=self.at, step=self.step, positions=self.positions)

    @property
    def events(self) -> list[Event]:
        return self.life.events

    def create(self, **data: Any) -> Event:
        payload = {"subject": "Cannot log in"} | data
        [event] = self.life.create(Actor(self.requester, frozenset({"customer"})), payload)
        return event

    def fire(
        self, transition: str, *, actor: str | None = None, roles: tuple[str, ...] | None = None, **data: Any
    ) -> Event:
        if actor is None and roles is None and may_fire(SUPPORT_TICKET, {"customer"}, transition):
            who = Actor(self.requester, frozenset({"customer"}))
        else:
            who = Actor(actor or self.agent, frozenset(roles or (_least_staff_role(transition),)))
        [event] = self.life.fire(transition, who, data or None)
        return event

    @property
    def place(self) -> str:
        """Where the ticket's token is now."""
        assert self.life.state is not None, "the ticket is not created yet"
        return self.life.state.place

    def reply(self, body: str, *, actor: str | None = None, roles: tuple[str, ...] | None = None) -> Event:
        """A public reply: by the agent unless another actor is named, by the requester when ``actor`` is them."""
        actor = actor or self.agent
        [event] = self.life.post(body, self._actor(actor, roles, customer=actor == self.requester))
        return event

    def note(self, body: str, *, actor: str | None = None, roles: tuple[str, ...] = ("agent",)) -> Event:
        """An internal note (staff only)."""
        [event] = self.life.post(body, self._actor(actor or self.agent, roles, customer=False), internal=True)
        return event

    def raw(
        self, event_type: str, *, actor: str | None = None, roles: tuple[str, ...] = ("agent",), **data: Any
    ) -> Event:
        """An event ``decide`` would never make (not enabled, unknown type, a role the net does not know): what a
        projector must refuse, or what an older definition of the net recorded."""
        if self.events:
            self.life.clock += self.step
        event = Event(
            id=str(uuid.uuid4()),
            stream_id=self.ticket_id,
            type=event_type,
            version=len(self.events) + 1,
            timestamp=self.life.clock,
            data={"aggregate_id": self.ticket_id, "timestamp": self.life.clock.isoformat(), **data},
            metadata=EventMetadata(actor=actor or self.agent, roles=roles, correlation_id=str(uuid.uuid4())),
            position=next(self.positions),
        )
        self.events.append(event)
        return event

    def run(self, *transitions: str) -> list[Event]:
        return [self.fire(t) for t in transitions]

    @staticmethod
    def _actor(sub: str, roles: tuple[str, ...] | None, *, customer: bool) -> Actor:
        return Actor(sub, frozenset(roles or (("customer",) if customer else ("agent",))))


def _least_staff_role(transition: str) -> str:
    """The first staff role, in the net's order (agent, supervisor, admin), that may fire ``transition``."""
    staff = [r for r in SUPPORT_TICKET.roles_by_name if is_staff(SUPPORT_TICKET, {r})]
    return next(r for r in staff if may_fire(SUPPORT_TICKET, {r}, transition))


def busy_day(start: datetime = T0) -> list[Ticket]:
    """Several tickets through most of the net: messages, escalation, reopen, a closed one."""
    a = Ticket(requester="alice", at=start)
    a.create(subject="Printer on fire", priority="urgent")
    a.run("assign", "start_work")
    a.fire("request_info", message="Which floor?")
    a.fire("customer_reply", message="Third")
    a.fire("resolve", resolution="Extinguished")
    b = Ticket(requester="carol", agent="dave", at=start + timedelta(hours=1))
    b.create(subject="VPN drops", priority="high")
    b.run("assign", "start_work", "escalate")
    b.fire("resolve_escalated", actor="erin", roles=("supervisor",))
    b.run("close", "reopen")
    c = Ticket(requester="alice", at=start + timedelta(days=1))
    c.create(subject="Password reset 100%_done", priority="low")
    return [a, b, c]


def interleaved(tickets: list[Ticket]) -> list[Event]:
    """All events of the tickets in time order, renumbered in that order (as a store would have recorded them).

    The tickets' own ``events`` are renumbered too, so they stay equal to what a read model stores.
    """
    ordered = sorted(((e.timestamp, n, i) for n, t in enumerate(tickets) for i, e in enumerate(t.events)))
    renumbered = []
    for _, n, i in ordered:
        event = tickets[n].events[i].model_copy(update={"position": next(tickets[n].positions)})
        tickets[n].events[i] = event
        renumbered.append(event)
    return renumbered


def conversation_day(start: datetime = T0) -> list[Ticket]:
    """Tickets with replies, internal notes and staff of every rank (for notes, search and the staff directory).

    Staff: bob (agent), dave (agent, later supervisor), erin (supervisor), root (admin); customers: alice, carol.
    """
    a = Ticket(requester="alice", agent="bob", at=start)
    a.create(subject="Printer on fire", description="Smoke comes out of tray two", priority="urgent")
    a.fire("assign")
    a.reply("Please switch it off and step away")
    a.reply("Done, it is still smoking", actor="alice")
    a.note("Customer is a VIP, call the facilities desk")
    a.fire("start_work", note="Facilities informed")
    a.fire("resolve", resolution="Replaced the fuser unit")
    b = Ticket(requester="carol", agent="dave", at=start + timedelta(minutes=2))
    b.create(subject="VPN drops", description="Every hour on the hour", priority="high")
    b.run("assign", "start_work")
    b.fire("escalate", reason="Suspected firmware bug zq-17")
    b.note("Vendor case opened", actor="erin", roles=("supervisor",))
    b.fire("resolve_escalated", actor="erin", roles=("supervisor",), resolution="Firmware updated")
    b.fire("close")
    b.fire("reopen", reason="It dropped again")
    b.fire("assign", actor="dave", roles=("supervisor",), assignee="dave")
    b.note("Looking at the gateway logs", actor="root", roles=("admin",))
    return [a, b]
