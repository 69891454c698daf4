"""Request and response bodies of the command API; they are also its OpenAPI schemas."""

from __future__ import annotations

from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, create_model

from ticket_workflow import Actor, TicketState, seed_view
from ticket_workflow.data import DATA_SCHEMAS, SHORT_TEXT, ConversationData, Text

AGGREGATE_ID = Field(min_length=1, max_length=SHORT_TEXT, description="The ticket id returned by create.")
EXPECTED_VERSION = Field(
    None, ge=0, description="Refuse with 409 unless the ticket is still at this version (optimistic concurrency)."
)


class TransitionRequest(BaseModel):
    """Body of ``POST /api/{transition}``; each transition has its own ``data`` schema."""

    model_config = ConfigDict(extra="forbid")

    aggregate_id: Text = AGGREGATE_ID
    data: Any = None
    expected_version: int | None = EXPECTED_VERSION


def transition_request_model(transition: str) -> type[TransitionRequest]:
    """``TransitionRequest`` with ``data`` typed by the transition's schema, e.g. ``AssignRequest``."""
    name = "".join(part.title() for part in transition.split("_")) + "Request"
    model: type[TransitionRequest] = create_model(
        name,
        __base__=TransitionRequest,
        data=(cast(Any, DATA_SCHEMAS[transition] | None), Field(None, description=f"Optional data of {transition!r}.")),
    )
    return model


class MessageRequest(ConversationData):
    """Body of ``POST /api/support-ticket/{id}/replies`` and ``.../notes``: the workflow's own schema of a
    message (1 to 10,000 characters once trimmed), plus the optional version check. Unknown fields are refused."""

    expected_version: int | None = EXPECTED_VERSION


class TicketChange(BaseModel):
    """The ticket after a command: the specification's answer plus what this caller may do next."""

    success: bool = True
    aggregate_id: str
    version: int
    place: str = Field(description="The place holding the token.")
    state: dict[str, int] = Field(description="Tokens in every place of the net.")
    enabled_transitions: list[str] = Field(description="Transitions enabled in this state, in net order.")
    available_transitions: list[str] = Field(description="Enabled transitions this caller may fire now.")
    position: int | None = Field(description="Global position of the last event written (read-your-writes).")

    @classmethod
    def of(cls, state: TicketState, actor: Actor, position: int | None) -> TicketChange:
        return cls(**cls.body(state, actor, position))

    @staticmethod
    def body(state: TicketState, actor: Actor, position: int | None) -> dict[str, Any]:
        """The answer's JSON object, fields in the model's order, without building the model (every command)."""
        return {"success": True, **seed_view(state, actor), "position": position}


class TokenRequest(BaseModel):
    """Body of ``POST /api/debug/token``."""

    model_config = ConfigDict(extra="forbid")

    sub: Text = Field(min_length=1, max_length=SHORT_TEXT, description="User id.")
    roles: list[Text] = Field(min_length=1, description="Role names: customer, agent, supervisor, admin.")
    ttl_seconds: int = Field(3600, ge=1, le=7 * 24 * 3600, description="Lifetime of the token.")


class TokenResponse(BaseModel):
    token: str
    sub: str
    roles: list[str]
    expires_at: str = Field(description="ISO 8601 time after which the token is refused.")
