"""Which data fields of which event types hold personal data: the one table every sealer and reader follows.

Derived from the workflow's command data schemas, so a text field added to a schema is personal unless it is
named in :data:`NOT_PERSONAL` with the reason: no new text can be stored in the clear by being forgotten here.
Personal are the texts people write: a ticket's subject and description, replies and notes, and the texts of
transitions (note, reason, message, resolution). User ids (``requester``, ``assignee``, the envelope's actor) are
identifiers: they stay, so that a person's data can be found, exported and erased.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from ticket_workflow.data import DATA_SCHEMAS, ConversationData, CreateTicketData
from ticket_workflow.definition import CONVERSATION_EVENTS, CREATED, SUPPORT_TICKET

NOT_PERSONAL: dict[str, str] = {
    "requester": "the customer's user id (token sub): an identifier, kept to find the person's data",
    "assignee": "a staff member's user id: an identifier",
}


def is_text(annotation: Any) -> bool:
    """Whether a schema field's type is text (``str``, ``Text``, ``Text | None``), not a choice or a number."""
    if annotation is str:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return is_text(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(is_text(arg) for arg in get_args(annotation))
    return False


def text_fields(schema: type[BaseModel]) -> frozenset[str]:
    """Every text field of a command data schema."""
    return frozenset(name for name, info in schema.model_fields.items() if is_text(info.annotation))


def _personal(schema: type[BaseModel]) -> frozenset[str]:
    return text_fields(schema) - NOT_PERSONAL.keys()


SCHEMAS_BY_EVENT: dict[str, type[BaseModel]] = {
    CREATED: CreateTicketData,
    **{t.event_type: DATA_SCHEMAS[t.name] for t in SUPPORT_TICKET.transitions},
    **dict.fromkeys(CONVERSATION_EVENTS, ConversationData),
}
PERSONAL_FIELDS: dict[str, frozenset[str]] = {kind: _personal(schema) for kind, schema in SCHEMAS_BY_EVENT.items()}
"""Event type -> the data fields sealed with the data subject's key. Other event types (system streams) have none."""


def personal_fields(event_type: str) -> frozenset[str]:
    return PERSONAL_FIELDS.get(event_type, frozenset())
