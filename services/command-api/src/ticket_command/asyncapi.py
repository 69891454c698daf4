"""The AsyncAPI document of the published event stream, served at ``/asyncapi.json``.

One Redis stream; one entry per committed event, ID ``<position>-0``, plain string fields (the format of
``ticket_eventstore.stream``). ``data`` and ``metadata`` are JSON text; their schemas are given as
``contentSchema``. Beside it, the projector's service-level alerts stream (``SLA_ALERT_STREAM``).
"""

from __future__ import annotations

import os
from typing import Any

from ticket_eventstore.stream import FIELDS
from ticket_workflow import (
    CREATED,
    EFFECTS,
    NOTE_ADDED,
    REPLY_ADDED,
    SUPPORT_TICKET,
    TRANSITION_BY_EVENT,
    EventMetadata,
)
from ticket_workflow.data import DATA_SCHEMAS, ConversationData, CreateTicketData
from ticket_workflow.sla import Policy
from ticket_workflow.visibility import STAFF_ONLY_DATA

VERSION = "1.0.0"
STAFF_ONLY_TEXT = "Staff only: a subscriber serving customers must not show it."
POLICY_SET = "ServiceLevelPolicySet"  # on the system stream $sla-policy (ticket_command.sla_routes)


def document(stream: str, alerts_stream: str | None = None) -> dict[str, Any]:
    messages = {event_type: _message(event_type, summary) for event_type, summary in _event_types()}
    refs = [{"$ref": f"#/channels/ticketEvents/messages/{name}"} for name in messages]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Support-ticket events",
            "version": VERSION,
            "description": (
                "Every event committed to the support-ticket event store, in global order, as one entry of a "
                "Redis stream. The entry ID is `<position>-0`, so readers can resume from any position and a "
                "republish never duplicates an entry. All fields are plain strings readable by any Redis "
                "client; `data` and `metadata` hold JSON objects. The stream may be trimmed (never below what a "
                "consumer group still needs); the event store keeps every event."
            ),
        },
        "defaultContentType": "application/json",
        "channels": {
            "ticketEvents": {
                "address": stream,
                "title": "Ticket events",
                "description": "Redis stream key. Read with XREAD / XREADGROUP; entry ID `<position>-0`.",
                "messages": messages,
            },
            "serviceLevelAlerts": _alerts_channel(alerts_stream or os.environ.get("SLA_ALERT_STREAM", ALERT_STREAM)),
        },
        "operations": {
            "receiveTicketEvents": {
                "action": "receive",
                "channel": {"$ref": "#/channels/ticketEvents"},
                "summary": "Consume ticket events in global order.",
                "messages": refs,
            },
            "receiveServiceLevelAlerts": {
                "action": "receive",
                "channel": {"$ref": "#/channels/serviceLevelAlerts"},
                "summary": "Consume service-level warnings and breaches, each once, as they are raised.",
                "messages": [{"$ref": f"#/channels/serviceLevelAlerts/messages/{name}"} for name in ALERT_TYPES],
            },
        },
    }


ALERT_STREAM = "support-ticket.sla-alerts"  # the projector's SLA_ALERT_STREAM
ALERT_TYPES = {
    "ServiceLevelWarning": "A clock of a ticket reached its warning instant (no event needed)",
    "ServiceLevelBreached": "A clock of a ticket passed its due instant unmet (no event needed)",
}
ALERT_FIELDS = {
    "id": "`<ticket>:<clock>:<kind>:<due_at>` (kind `warning` or `breached`): unique per alert, to deduplicate on",
    "type": "The message name",
    "ticket_id": "The ticket (aggregate_id)",
    "clock": "`first_response` or `resolution`",
    "due_at": "The clock's deadline (ISO 8601, UTC)",
    "warning_at": "The clock's warning instant (ISO 8601, UTC; empty when none)",
    "raised_at": "When the alert was raised (ISO 8601, UTC)",
    "priority": "The ticket's priority then",
}


def _alerts_channel(address: str) -> dict[str, Any]:
    """The alerts stream the projector's service-level timer writes (entry IDs are Redis's own)."""
    messages = {
        name: {
            "name": name,
            "summary": summary,
            "payload": {
                "type": "object",
                "description": "The fields of one stream entry (all strings).",
                "properties": {
                    field: {"type": "string", "description": text} | ({"const": name} if field == "type" else {})
                    for field, text in ALERT_FIELDS.items()
                },
                "required": list(ALERT_FIELDS),
                "additionalProperties": False,
            },
        }
        for name, summary in ALERT_TYPES.items()
    }
    description = "Redis stream key. Read with XREAD / XREADGROUP; recorded in the read model first (an outbox)."
    return {"address": address, "title": "Service-level alerts", "description": description, "messages": messages}


# Events of a ticket's conversation: beside the net, they leave the marking as it is.
_CONVERSATION = {
    REPLY_ADDED: "A public reply was added to the ticket's conversation (by the requester or by staff)",
    NOTE_ADDED: "An internal note was added by staff; subscribers must never show it to customers",
}


def _event_types() -> list[tuple[str, str]]:
    return [
        (CREATED, "A ticket was created"),
        *((t.event_type, t.description) for t in SUPPORT_TICKET.transitions),
        *_CONVERSATION.items(),
        (POLICY_SET, "An admin set the service-level policy (the whole of it; stream_id `$sla-policy`)"),
    ]


def _message(event_type: str, summary: str) -> dict[str, Any]:
    return {
        "name": event_type,
        "title": event_type,
        "summary": summary,
        "contentType": "text/plain",
        "payload": _entry_schema(event_type),
    }


def _entry_schema(event_type: str) -> dict[str, Any]:
    number = {"type": "string", "pattern": "^[1-9][0-9]*$"}
    return {
        "type": "object",
        "description": "The fields of one stream entry (all strings).",
        "required": list(FIELDS),
        "properties": {
            "type": {"type": "string", "const": event_type, "description": "Event type (wire name)."},
            "event_id": {"type": "string", "format": "uuid", "description": "Unique event id."},
            "stream_id": {"type": "string", "description": "The ticket id (aggregate_id)."},
            "version": {**number, "description": "Version of the ticket after this event, from 1."},
            "position": {**number, "description": "Global position in commit order; the entry ID is `<position>-0`."},
            "timestamp": {"type": "string", "format": "date-time", "description": "When it happened (ISO 8601)."},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "description": "JSON object: the event's data.",
                "contentSchema": _data_schema(event_type),
            },
            "metadata": {
                "type": "string",
                "contentMediaType": "application/json",
                "description": "JSON object: actor, roles, correlation_id (the request id), causation_id, "
                "idempotency_key, traceparent (W3C trace context of the request, when tracing is on).",
                "contentSchema": EventMetadata.model_json_schema(),
            },
        },
    }


def _data_schema(event_type: str) -> dict[str, Any]:
    if event_type == POLICY_SET:  # not about one ticket: no aggregate_id
        return Policy.model_json_schema()
    if event_type == CREATED:
        schema, always = CreateTicketData.model_json_schema(), ["subject", "description", "priority", "requester"]
    elif event_type in _CONVERSATION:
        schema, always = ConversationData.model_json_schema(), ["body"]
    else:
        transition = TRANSITION_BY_EVENT[event_type]
        assigns = EFFECTS[transition].assigns  # decide fills it with the caller when the command leaves it out
        schema, always = DATA_SCHEMAS[transition].model_json_schema(), [assigns] if assigns else []
    hidden = STAFF_ONLY_DATA.get(event_type, STAFF_ONLY_DATA[None])
    properties = {
        name: {**field, "description": f"{field.get('description', '')} {STAFF_ONLY_TEXT}".strip()}
        if name in hidden
        else field
        for name, field in schema.get("properties", {}).items()
    }
    return {
        "type": "object",
        "required": ["aggregate_id", "timestamp", *always],
        "properties": {
            "aggregate_id": {"type": "string", "description": "The ticket id."},
            "timestamp": {"type": "string", "format": "date-time"},
            **properties,
        },
    }
