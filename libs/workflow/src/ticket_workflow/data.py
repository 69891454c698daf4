"""The data a client may send with each command, as documented pydantic schemas.

Every field is optional (the specification's clients send no data at all). Unknown fields and oversized
values are refused, and the refusal names the field.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["low", "normal", "high", "urgent"]
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")

SHORT_TEXT = 200
NOTE_TEXT = 2_000
LONG_TEXT = 10_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class CreateTicketData(_Strict):
    """Body of ``POST /api/support-ticket``."""

    subject: str = Field("", max_length=SHORT_TEXT, description="One-line summary of the problem.")
    description: str = Field("", max_length=LONG_TEXT, description="What happened, in the customer's words.")
    priority: Priority = Field("normal", description="low, normal, high or urgent.")
    requester: str | None = Field(
        None,
        min_length=1,
        max_length=SHORT_TEXT,
        description="The customer the ticket is for. Staff only; a customer always files for itself.",
    )


class TransitionData(_Strict):
    """Data every transition accepts."""

    note: str | None = Field(None, max_length=NOTE_TEXT, description="Free-text note kept in the audit trail.")


class AssignData(TransitionData):
    assignee: str | None = Field(
        None, min_length=1, max_length=SHORT_TEXT, description="User id of the agent; defaults to the caller."
    )


class EscalateData(TransitionData):
    reason: str | None = Field(None, max_length=NOTE_TEXT, description="Why senior support is needed.")


class MessageData(TransitionData):
    message: str | None = Field(None, max_length=LONG_TEXT, description="Message shown in the conversation.")


class ResolveData(TransitionData):
    resolution: str | None = Field(None, max_length=LONG_TEXT, description="How the issue was resolved.")


class ReopenData(TransitionData):
    reason: str | None = Field(None, max_length=NOTE_TEXT, description="Why the ticket is reopened.")


DATA_SCHEMAS: dict[str, type[TransitionData]] = {
    "assign": AssignData,
    "start_work": TransitionData,
    "escalate": EscalateData,
    "request_info": MessageData,
    "customer_reply": MessageData,
    "resolve": ResolveData,
    "resolve_escalated": ResolveData,
    "close": TransitionData,
    "reopen": ReopenData,
}
