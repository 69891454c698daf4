"""The data a client may send with each command, as documented pydantic schemas.

Every field is optional (the specification's clients send no data at all). Unknown fields, oversized values
and text no store can keep (NUL, unpaired surrogates) are refused, and the refusal names the field.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

Priority = Literal["low", "normal", "high", "urgent"]
PRIORITIES: tuple[str, ...] = ("low", "normal", "high", "urgent")

SHORT_TEXT = 200
NOTE_TEXT = 2_000
LONG_TEXT = 10_000

# PostgreSQL text cannot hold U+0000, and an unpaired surrogate cannot be encoded as UTF-8 at all.
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
UNSAFE_TEXT_MESSAGE = "text may not contain NUL (U+0000) or unpaired surrogates"


def is_unsafe_text(value: str) -> bool:
    """Whether ``value`` holds a character no store can keep."""
    return _UNSAFE_TEXT.search(value) is not None


def safe_text(value: str) -> str:
    if is_unsafe_text(value):
        raise ValueError(UNSAFE_TEXT_MESSAGE)
    return value


class _DocumentedAsSafe:
    """Puts the rule in the JSON schema as a pattern. Unpaired surrogates are left out of it: they are not Unicode
    text (a JSON document holding one is not interoperable) and most regex engines cannot even name them."""

    def __get_pydantic_json_schema__(self, core: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core)
        schema["pattern"] = SAFE_TEXT_PATTERN
        return schema


SAFE_TEXT_PATTERN = r"^[^\x00]*$"
Text = Annotated[str, AfterValidator(safe_text), _DocumentedAsSafe()]
"""A string every store can keep: use it for each text field a client sends."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class CreateTicketData(_Strict):
    """Body of ``POST /api/support-ticket``."""

    subject: Text = Field("", max_length=SHORT_TEXT, description="One-line summary of the problem.")
    description: Text = Field("", max_length=LONG_TEXT, description="What happened, in the customer's words.")
    priority: Priority = Field("normal", description="low, normal, high or urgent.")
    requester: Text | None = Field(
        None,
        min_length=1,
        max_length=SHORT_TEXT,
        description="The customer the ticket is for. Staff only; a customer always files for itself.",
    )


class TransitionData(_Strict):
    """Data every transition accepts."""

    note: Text | None = Field(None, max_length=NOTE_TEXT, description="Free-text note kept in the audit trail.")


class AssignData(TransitionData):
    assignee: Text | None = Field(
        None, min_length=1, max_length=SHORT_TEXT, description="User id of the agent; defaults to the caller."
    )


class EscalateData(TransitionData):
    reason: Text | None = Field(None, max_length=NOTE_TEXT, description="Why senior support is needed.")


class MessageData(TransitionData):
    message: Text | None = Field(None, max_length=LONG_TEXT, description="Message shown in the conversation.")


class ResolveData(TransitionData):
    resolution: Text | None = Field(None, max_length=LONG_TEXT, description="How the issue was resolved.")


class ReopenData(TransitionData):
    reason: Text | None = Field(None, max_length=NOTE_TEXT, description="Why the ticket is reopened.")


class ConversationData(_Strict):
    """Body of ``POST /api/support-ticket/{id}/replies`` and ``.../notes``."""

    body: Text = Field(min_length=1, max_length=LONG_TEXT, description="The text of the reply or note.")


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
