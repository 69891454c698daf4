"""The ticket as its events leave it, and the commands a caller sends about it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from . import net as petri
from .definition import SUPPORT_TICKET

NET = SUPPORT_TICKET


@dataclass(frozen=True)
class Actor:
    """The authenticated caller: a user id and the roles its token grants."""

    sub: str
    roles: frozenset[str]


@dataclass(frozen=True)
class CreateTicket:
    ticket_id: str
    actor: Actor
    at: datetime
    data: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class FireTransition:
    ticket_id: str
    transition: str
    actor: Actor
    at: datetime
    data: Mapping[str, Any] | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class PostMessage:
    """Write in the ticket's conversation: a public reply, or an internal note (staff only)."""

    ticket_id: str
    actor: Actor
    at: datetime
    data: Mapping[str, Any] | None = None
    internal: bool = False
    expected_version: int | None = None


class Message(BaseModel):
    """One entry of the conversation (public) or of the internal notes (staff only)."""

    model_config = ConfigDict(frozen=True)

    author: str
    # What carried it: "reply" or "note" (conversation commands); "request_info", "customer_reply",
    # "resolution", "reopen" (the text of a transition); or, for notes, the transition whose note it is.
    kind: str
    body: str
    at: datetime
    staff: bool = False  # written by staff (agent or a role inheriting it)


class TicketState(BaseModel):
    """Everything the events of one ticket say about it, folded."""

    model_config = ConfigDict(frozen=True)

    id: str
    version: int = 0
    marking: dict[str, int]
    subject: str = ""
    description: str = ""
    priority: str = "normal"
    requester: str = ""
    assignee: str | None = None
    messages: tuple[Message, ...] = ()  # the public conversation: everyone who may see the ticket reads it
    notes: tuple[Message, ...] = ()  # internal notes, escalation reasons, transition notes: staff only
    escalation_reason: str | None = None
    resolution: str | None = None
    reopen_count: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def place(self) -> str:
        """The marked place (this net always holds exactly one token)."""
        return ",".join(petri.marked_places(self.marking))

    @property
    def enabled_transitions(self) -> list[str]:
        return petri.enabled(NET, self.marking)

    @property
    def tokens(self) -> dict[str, int]:
        """Tokens in every place of the net, in the net's order (the specification's ``state``)."""
        return {place: self.marking.get(place, 0) for place in NET.place_names}


Command = CreateTicket | FireTransition | PostMessage
