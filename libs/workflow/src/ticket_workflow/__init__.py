"""The support-ticket workflow: the Petri net of the specification, its roles, events and aggregate.

Modules, from the inside out:

- ``net``          places, transitions, arcs; ``enabled`` and ``fire``
- ``validation``   structural checks of a net definition
- ``definition``   the support-ticket net itself (``SUPPORT_TICKET``)
- ``roles``        role inheritance and ``may_fire``
- ``data``         pydantic schemas of each command's optional data
- ``events``       the event envelope and its metadata
- ``rejections``   typed reasons a command is refused
- ``aggregate``    ``decide`` and ``evolve`` for one ticket
- ``visibility``   which fields are for staff only, and what a customer may read
- ``schema``       the net as JSON for ``/api/schema``
- ``ports``        the EventStore protocol its adapters implement
"""

from .aggregate import (
    Actor,
    CreateTicket,
    FireTransition,
    Message,
    PostMessage,
    TicketState,
    available_transitions,
    decide,
    evolve,
    fold,
    may_view,
    seed_view,
)
from .definition import (
    CONVERSATION_EVENTS,
    CREATED,
    EVENT_TYPES,
    NOTE_ADDED,
    REPLY_ADDED,
    SUPPORT_TICKET,
    TRANSITION_BY_EVENT,
)
from .events import Event, EventMetadata, NewEvent, record
from .net import Marking, Net, TransitionNotEnabled, enabled, fire, initial_marking, is_enabled
from .rejections import (
    InvalidData,
    NotEnabled,
    NotOwner,
    NotPermitted,
    Rejection,
    TicketAlreadyExists,
    TicketClosed,
    TicketNotFound,
    UnknownAssignee,
    VersionConflict,
)
from .roles import UnknownRole, effective_roles, is_staff, may_fire, permitted
from .schema import describe

__all__ = [
    "CONVERSATION_EVENTS",
    "CREATED",
    "EVENT_TYPES",
    "NOTE_ADDED",
    "REPLY_ADDED",
    "SUPPORT_TICKET",
    "TRANSITION_BY_EVENT",
    "Actor",
    "CreateTicket",
    "Event",
    "EventMetadata",
    "FireTransition",
    "InvalidData",
    "Marking",
    "Message",
    "Net",
    "NewEvent",
    "NotEnabled",
    "NotOwner",
    "NotPermitted",
    "PostMessage",
    "Rejection",
    "TicketAlreadyExists",
    "TicketClosed",
    "TicketNotFound",
    "TicketState",
    "TransitionNotEnabled",
    "UnknownAssignee",
    "UnknownRole",
    "VersionConflict",
    "available_transitions",
    "decide",
    "describe",
    "effective_roles",
    "enabled",
    "evolve",
    "fire",
    "fold",
    "initial_marking",
    "is_enabled",
    "is_staff",
    "may_fire",
    "may_view",
    "permitted",
    "record",
    "seed_view",
]
