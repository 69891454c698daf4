"""The webhooks admin API under ``/api/webhooks`` (admin role only): endpoints, their delivery log, redelivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ticket_service.errors import ApiError, documented
from ticket_service.security import AdminActor
from ticket_workflow import EVENT_TYPES

from . import signing, ssrf
from .endpoints import Endpoints
from .payload import ALERT_TYPES
from .ports import EndpointStore
from .sealing import Sealer

PREFIX = "/api/webhooks"
KNOWN_TYPES = frozenset((*EVENT_TYPES, *ALERT_TYPES))


class Backend(Protocol):
    """What the routes use of the running service."""

    @property
    def endpoints(self) -> EndpointStore: ...

    async def last_position(self) -> int: ...

    async def events_from(self, position: int, limit: int) -> list[Any]: ...

    def wake(self) -> None: ...


def _types(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - KNOWN_TYPES - {"*"})
    if unknown:
        raise ValueError(f"unknown event type(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_TYPES))}, *")
    return list(dict.fromkeys(value))


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000, description="http(s) URL that receives the POSTs.")
    event_types: list[str] = Field(min_length=1, max_length=64, description='Types delivered, or ["*"] for all.')
    description: str = Field("", max_length=500)

    @field_validator("event_types")
    @classmethod
    def _check_types(cls, value: list[str]) -> list[str]:
        return _types(value)


class EndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, min_length=1, max_length=2000)
    event_types: list[str] | None = Field(None, min_length=1, max_length=64)
    description: str | None = Field(None, max_length=500)
    enabled: bool | None = Field(None, description="true re-enables an endpoint (and clears its failure record).")

    @field_validator("event_types")
    @classmethod
    def _check_types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _types(value)


class RedeliverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_position: int = Field(strict=True, ge=1, description="The first event position sent again.")


class EndpointView(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None
    failure_streak: int = Field(description="Deliveries finally failed in a row.")
    created_at: datetime
    created_by: str
    last_delivery_at: datetime | None


class DeliveryView(BaseModel):
    id: str = Field(description="The webhook-id sent (the same for every attempt and redelivery of a message).")
    event_type: str
    position: int | None
    ticket_id: str | None
    attempts: int
    status: str = Field(description="pending, retrying, delivered or failed.")
    http_status: int | None
    latency_ms: float | None
    response_excerpt: str | None = Field(description="First 200 characters of the answer, or why none came.")
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    replay: int = Field(0, description="0; n for the n-th manual redelivery.")


class Created(BaseModel):
    success: bool = True
    endpoint: EndpointView
    secret: str = Field(description="whsec_...: shown only in this answer; store it now.")


class One(BaseModel):
    success: bool = True
    endpoint: EndpointView


class Many(BaseModel):
    success: bool = True
    endpoints: list[EndpointView]


class Log(BaseModel):
    success: bool = True
    deliveries: list[DeliveryView]


class Queued(BaseModel):
    success: bool = True
    queued: int


NOT_FOUND = {404: {"not_found": "no webhook endpoint with this id"}}
UNSAFE = {422: {"unsafe_url": "the URL resolves to a private address", "invalid_request": "bad body"}}


def install(
    app: FastAPI, backend: Backend, sealer: Sealer, allow_private: bool, allowed_hosts: tuple[str, ...]
) -> None:
    router = APIRouter(prefix=PREFIX, tags=["webhooks"], responses=documented(401, 403, 503))

    async def safe(url: str) -> None:
        try:
            await ssrf.check(url, allow_private=allow_private, allowed_hosts=allowed_hosts)
        except ssrf.UnsafeUrl as refused:
            raise ApiError(422, "unsafe_url", str(refused), field="url") from None

    async def found(endpoint_id: str) -> dict[str, Any]:
        endpoint = await backend.endpoints.get(endpoint_id)
        if endpoint is None:
            raise ApiError(404, "not_found", f"no webhook endpoint {endpoint_id}")
        return endpoint

    @router.post(
        "/endpoints",
        status_code=201,
        response_model=Created,
        responses=documented(422, codes=UNSAFE),
        summary="Register an endpoint; its signing secret is in this answer only",
    )
    async def create(body: EndpointIn, actor: AdminActor) -> dict[str, Any]:
        await safe(body.url)
        endpoint_id, secret = Endpoints.new_id(), signing.new_secret()
        endpoint = await backend.endpoints.create(
            url=body.url,
            event_types=body.event_types,
            description=body.description,
            endpoint_id=endpoint_id,
            sealed=sealer.seal(secret, endpoint_id),
            actor=actor.sub,
            from_position=await backend.last_position(),
        )
        return {"success": True, "endpoint": endpoint, "secret": secret}

    @router.get("/endpoints", response_model=Many, summary="Every endpoint (never a secret)")
    async def listing(actor: AdminActor) -> dict[str, Any]:
        return {"success": True, "endpoints": await backend.endpoints.all()}

    @router.get("/endpoints/{endpoint_id}", response_model=One, responses=documented(404, codes=NOT_FOUND))
    async def one(endpoint_id: str, actor: AdminActor) -> dict[str, Any]:
        return {"success": True, "endpoint": await found(endpoint_id)}

    @router.patch(
        "/endpoints/{endpoint_id}",
        response_model=One,
        responses=documented(404, 422, codes={**NOT_FOUND, **UNSAFE}),
        summary="Change an endpoint; enabled=true re-enables one that was disabled",
    )
    async def change(endpoint_id: str, body: EndpointPatch, actor: AdminActor) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        nulls = [name for name, value in changes.items() if value is None]
        if nulls:
            raise ApiError(422, "invalid_request", f"{nulls[0]}: may be left out, not null", field=nulls[0])
        await found(endpoint_id)
        if "url" in changes:
            await safe(changes["url"])
        endpoint = await backend.endpoints.update(endpoint_id, changes)
        if endpoint is None:
            raise ApiError(404, "not_found", f"no webhook endpoint {endpoint_id}")
        if changes.get("enabled"):
            backend.wake()
        return {"success": True, "endpoint": endpoint}

    @router.delete(
        "/endpoints/{endpoint_id}",
        status_code=204,
        response_class=Response,
        responses=documented(404, codes=NOT_FOUND),
        summary="Delete an endpoint and its delivery log",
    )
    async def delete(endpoint_id: str, actor: AdminActor) -> Response:
        if not await backend.endpoints.delete(endpoint_id):
            raise ApiError(404, "not_found", f"no webhook endpoint {endpoint_id}")
        return Response(status_code=204)

    @router.get(
        "/endpoints/{endpoint_id}/deliveries",
        response_model=Log,
        responses=documented(404, codes=NOT_FOUND),
        summary="The endpoint's latest deliveries, newest first",
    )
    async def deliveries(
        endpoint_id: str, actor: AdminActor, limit: Annotated[int, Query(ge=1, le=500)] = 50
    ) -> dict[str, Any]:
        await found(endpoint_id)
        return {"success": True, "deliveries": await backend.endpoints.deliveries(endpoint_id, limit)}

    @router.post(
        "/endpoints/{endpoint_id}/redeliver",
        status_code=202,
        response_model=Queued,
        responses=documented(404, 422, codes=NOT_FOUND),
        summary="Send the endpoint's events again from a position, read from the event store",
    )
    async def redeliver(endpoint_id: str, body: RedeliverIn, actor: AdminActor, request: Request) -> dict[str, Any]:
        endpoint = await found(endpoint_id)
        limit = request.app.state.webhooks_redeliver_limit
        events = await backend.events_from(body.from_position, limit)
        queued = await backend.endpoints.redeliver(endpoint_id, endpoint["event_types"], events)
        backend.wake()
        return {"success": True, "queued": queued}

    app.include_router(router)
