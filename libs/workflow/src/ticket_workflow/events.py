"""The event envelope: the published language shared by the store, the stream and every reader."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventMetadata(BaseModel):
    """Who caused an event and within which request."""

    model_config = ConfigDict(frozen=True)

    actor: str = Field(description="`sub` of the caller that fired the transition.")
    roles: tuple[str, ...] = Field((), description="Roles the caller presented.")
    correlation_id: str | None = Field(None, description="Request id (X-Request-ID) shared by everything it caused.")
    causation_id: str | None = Field(None, description="Id of the message that caused this event.")
    idempotency_key: str | None = Field(None, description="Idempotency-Key of the request, when given.")
    traceparent: str | None = Field(
        None, description="W3C trace context of the request that caused the event, when tracing is on."
    )


class NewEvent(BaseModel):
    """What a decision produces: an event type and its data, not yet numbered or stored."""

    model_config = ConfigDict(frozen=True)

    type: str
    data: dict[str, Any]


class Event(BaseModel):
    """A recorded event: the specification's envelope plus metadata and the global position."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Unique event id (UUID).")
    stream_id: str = Field(description="The ticket id (aggregate id).")
    type: str = Field(description="Event type, e.g. `Assigned`, `Escalateed`.")
    version: int = Field(ge=1, description="Position of the event within its ticket, from 1.")
    timestamp: datetime
    data: dict[str, Any]
    metadata: EventMetadata
    position: int | None = Field(None, description="Global position in commit order, assigned by the store.")


def record(
    new: NewEvent, *, event_id: str, stream_id: str, version: int, timestamp: datetime, metadata: EventMetadata
) -> Event:
    """Number a decided event for its stream; the store assigns the global position."""
    return Event(
        id=event_id,
        stream_id=stream_id,
        type=new.type,
        version=version,
        timestamp=timestamp,
        data=new.data,
        metadata=metadata,
    )
