"""Builders for commands and events in aggregate tests."""

from __future__ import annotations

import uuid
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
    """Runs commands through decide/evolve the way the application layer does, keeping the events."""

    def __init__(self, ticket_id: str = "t-1") -> None:
        self.id = ticket_id
        self.state: TicketState | None = None
        self.events: list[Event] = []
        self.clock = T0

    def _apply(self, command: CreateTicket | FireTransition | PostMessage, actor: Actor) -> list[Event]:
        new = decide(self.state, command)
        recorded = []
        for n in new:
            event = record(
                n,
                event_id=str(uuid.uuid4()),
                stream_id=self.id,
                version=len(self.events) + 1,
                timestamp=command.at,
                metadata=EventMetadata(actor=actor.sub, roles=tuple(sorted(actor.roles))),
            )
            self.state = evolve(self.state, event)
            self.events.append(event)
            recorded.append(event)
        return recorded

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

    def _tick(self) -> datetime:
        self.clock += timedelta(minutes=5)
        return self.clock
