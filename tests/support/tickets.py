"""The one way tests make ticket events: commands run through ``decide`` and ``evolve``, as the application does.

Nothing here knows a rule of the net: who may fire what, what a transition writes, the default assignee all come
from ``ticket_workflow``. A command the net refuses raises its ``Rejection`` here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ticket_workflow import (
    Actor,
    CreateTicket,
    Event,
    EventMetadata,
    FireTransition,
    PostMessage,
    TicketState,
    decide,
    evolve,
    record,
)

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
CUSTOMER = Actor("alice", frozenset({"customer"}))
OTHER_CUSTOMER = Actor("mallory", frozenset({"customer"}))
AGENT = Actor("bob", frozenset({"agent"}))
SUPERVISOR = Actor("carol", frozenset({"supervisor"}))
ADMIN = Actor("dave", frozenset({"admin"}))


class Ticket:
    """One ticket's life: each command is decided, recorded (numbered, timed, attributed) and folded.

    Events are timed ``at``, then ``step`` apart. With ``positions`` each event also gets the next global
    position, as a store would number it; without, ``position`` stays None (not stored yet).
    """

    def __init__(
        self,
        ticket_id: str = "t-1",
        *,
        at: datetime = T0,
        step: timedelta = timedelta(minutes=5),
        positions: Iterator[int] | None = None,
    ) -> None:
        self.id = ticket_id
        self.state: TicketState | None = None
        self.events: list[Event] = []
        self.clock, self.step, self.positions = at, step, positions

    def create(self, actor: Actor = CUSTOMER, data: dict[str, Any] | None = None) -> list[Event]:
        return self._apply(CreateTicket(self.id, actor, self._tick(), data), actor)

    def fire(
        self,
        transition: str,
        actor: Actor = AGENT,
        data: dict[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> list[Event]:
        command = FireTransition(self.id, transition, actor, self._tick(), data, expected_version)
        return self._apply(command, actor)

    def post(
        self, body: str, actor: Actor = AGENT, *, internal: bool = False, expected_version: int | None = None
    ) -> list[Event]:
        """A public reply, or an internal note with ``internal=True``."""
        command = PostMessage(self.id, actor, self._tick(), {"body": body}, internal, expected_version)
        return self._apply(command, actor)

    def _apply(self, command: CreateTicket | FireTransition | PostMessage, actor: Actor) -> list[Event]:
        recorded = []
        for new in decide(self.state, command):
            event = record(
                new,
                event_id=str(uuid.uuid4()),
                stream_id=self.id,
                version=len(self.events) + 1,
                timestamp=command.at,
                metadata=EventMetadata(
                    actor=actor.sub, roles=tuple(sorted(actor.roles)), correlation_id=str(uuid.uuid4())
                ),
            )
            if self.positions is not None:
                event = event.model_copy(update={"position": next(self.positions)})
            self.state = evolve(self.state, event)
            self.events.append(event)
            recorded.append(event)
        return recorded

    def _tick(self) -> datetime:
        """The time of the next command: ``at`` for the first, then ``step`` after the previous one."""
        if self.events:
            self.clock += self.step
        return self.clock
