"""The support-ticket workflow: the Petri net of the specification, its roles, events and aggregate.

Modules, from the inside out:

- ``net``          places, transitions, arcs; ``enabled`` and ``fire``
- ``validation``   structural checks of a net definition
- ``effects``      what a transition does to the ticket beside moving the token, as data
- ``definition``   the support-ticket net itself (``SUPPORT_TICKET``) and its effects (``EFFECTS``)
- ``roles``        role inheritance, ``may_fire`` and who is staff
- ``data``         pydantic schemas of each command's optional data
- ``events``       the event envelope and its metadata
- ``rejections``   typed reasons a command is refused
- ``state``        the ticket's state and the commands about it
- ``aggregate``    ``decide`` and ``evolve`` for one ticket, applying ``EFFECTS``
- ``visibility``   which fields are for staff only, and what a customer may read
- ``schema``       the net as JSON for ``/api/schema``
- ``ports``        the EventStore protocol its adapters implement
- ``sla``          service levels: the policy, and a ticket's clocks from its events (every rule listed there)
- ``hours``        the business-hours calendar and the time counted in it
"""

from .aggregate import available_transitions, decide, evolve, fold, may_view, seed_view
from .definition import (
    CONVERSATION_EVENTS,
    CREATED,
    EFFECTS,
    EVENT_TYPES,
    NOTE_ADDED,
    REPLY_ADDED,
    SUPPORT_TICKET,
    TRANSITION_BY_EVENT,
)
from .effects import Effects, Writes
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
from .roles import UnknownRole, effective_roles, is_staff, may_fire, permitted, staff_roles
from .schema import describe
from .state import Actor, CreateTicket, FireTransition, Message, PostMessage, TicketState

__all__ = [
    "CONVERSATION_EVENTS",
    "CREATED",
    "EFFECTS",
    "EVENT_TYPES",
    "NOTE_ADDED",
    "REPLY_ADDED",
    "SUPPORT_TICKET",
    "TRANSITION_BY_EVENT",
    "Actor",
    "CreateTicket",
    "Effects",
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
    "Writes",
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
    "staff_roles",
]
