"""The command routes: parse, call the application service, answer. No business rules here.

(No ``from __future__ import annotations``: FastAPI reads the per-transition body models from the signatures.)
"""

import uuid
from typing import Annotated, Any, cast

from fastapi import APIRouter, Body, Header, Request
from fastapi.responses import JSONResponse

from ticket_service.errors import documented
from ticket_workflow import SUPPORT_TICKET
from ticket_workflow.data import CreateTicketData

from .handling import CommandResult, RequestContext
from .idempotency import HEADER, idempotent_request
from .models import TicketChange, TransitionRequest, transition_request_model
from .runtime import runtime_of
from .security import CurrentActor

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="Any unique string; a retry with the same key and body returns the original answer.",
    ),
]
REPLAYED_HEADER = "Idempotent-Replayed"
COMMAND_ERRORS = documented(400, 401, 403, 404, 409, 413, 422, 503)


def command_router() -> APIRouter:
    """``POST /api/support-ticket`` and ``POST /api/{transition}`` for each transition of the net."""
    router = APIRouter(prefix="/api", tags=["commands"])
    router.add_api_route(
        "/support-ticket",
        create_ticket,
        methods=["POST"],
        status_code=201,
        response_model=TicketChange,
        responses=documented(400, 401, 403, 413, 422, 503),
        summary="Create a ticket",
    )
    for transition in SUPPORT_TICKET.transitions:
        router.add_api_route(
            f"/{transition.name}",
            _transition_handler(transition.name),
            methods=["POST"],
            response_model=TicketChange,
            responses=COMMAND_ERRORS,
            summary=transition.description,
            description=f"Fires `{transition.name}`; records a `{transition.event_type}` event.",
            operation_id=f"fire_{transition.name}",
        )
    return router


async def create_ticket(
    request: Request,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
    body: Annotated[CreateTicketData | None, Body(description="Optional; the seed's clients send none.")] = None,
) -> JSONResponse:
    data = body.model_dump(mode="json", exclude_unset=True) if body is not None else None
    context = _context(request, actor, idempotency_key, data)
    result = await runtime_of(request).commands().create_ticket(data, context)
    return _answer(result)


def _transition_handler(transition: str) -> Any:
    request_model = transition_request_model(transition)

    async def fire(
        request: Request,
        body: Annotated[request_model, Body()],  # type: ignore[valid-type]
        actor: CurrentActor,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        command = cast(TransitionRequest, body)
        sent = command.model_dump(mode="json", exclude_unset=True)
        context = _context(request, actor, idempotency_key, sent)
        data = command.data.model_dump(mode="json", exclude_unset=True) if command.data is not None else None
        service = runtime_of(request).commands()
        result = await service.fire(transition, command.aggregate_id, data, command.expected_version, context)
        return _answer(result)

    fire.__name__ = f"fire_{transition}"
    return fire


def _context(request: Request, actor: Any, key: str | None, sent: Any) -> RequestContext:
    request_id = getattr(request.state, "request_id", None) or str(uuid.uuid4())
    return RequestContext(actor, request_id, idempotent_request(key, request.url.path, sent))


def _answer(result: CommandResult) -> JSONResponse:
    headers = {REPLAYED_HEADER: "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)
