"""The command routes: parse, call the application service, answer. No business rules here.

(No ``from __future__ import annotations``: FastAPI reads the per-transition body models from the signatures.)
"""

import uuid
from typing import Annotated, Any, cast

import orjson
from fastapi import APIRouter, Body, Header, Path, Request
from fastapi.responses import Response

from ticket_service.errors import documented
from ticket_workflow import EFFECTS, NOTE_ADDED, REPLY_ADDED, SUPPORT_TICKET
from ticket_workflow.data import SHORT_TEXT, CreateTicketData, Text

from .handling import CommandResult, RequestContext
from .idempotency import HEADER, KEY_PATTERN, idempotent_request
from .models import MessageRequest, TicketChange, TransitionRequest, transition_request_model
from .runtime import runtime_of
from .security import CurrentActor

# The constraints are documented here and enforced by ``idempotent_request`` (after authentication, with the
# specific code ``invalid_idempotency_key``).
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description="1 to 255 printable ASCII characters without spaces, unique per request; a retry with the "
        "same key and body returns the original answer.",
        json_schema_extra={"minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
    ),
]
REPLAYED_HEADER = "Idempotent-Replayed"

# Every error a command route answers with: status -> code -> an example message (the README's error table).
ERROR_CODES: dict[int, dict[str, str]] = {
    400: {"malformed_json": "request body is not valid JSON: JSON decode error"},
    401: {
        "missing_token": "missing Authorization header (expected: Bearer <token>)",
        "invalid_token": "invalid token: Signature verification failed",
        "token_expired": "token expired",
        "unknown_role": "unknown role(s): wizard",
    },
    403: {"forbidden": "roles [customer] may not fire 'assign'"},
    # Another customer's ticket answers exactly like a missing one: a customer learns no other ticket ids.
    404: {"ticket_not_found": "ticket '0b9c…' does not exist"},
    409: {
        "transition_not_enabled": "transition 'start_work' is not enabled: the ticket is in 'new'",
        "version_conflict": "expected the ticket at version 5, it is at 1; reload and retry",
        "ticket_closed": "ticket '0b9c…' is closed: reopen it to write to it again",
    },
    405: {"method_not_allowed": "Method Not Allowed"},
    413: {"body_too_large": "request body exceeds 65536 bytes"},
    422: {
        "invalid_request": "data.note: String should have at most 2000 characters",
        "invalid_data": "data.note: String should have at most 2000 characters",
        "unknown_assignee": "no staff member 'erin' is known: pick someone from the staff directory (GET /api/people)",
        "idempotency_key_reused": "Idempotency-Key 'k1' was already used with a different request; use a new key",
        "invalid_idempotency_key": "Idempotency-Key: 1 to 255 printable characters",
    },
    500: {"internal_error": "unexpected error; see the service log"},
    503: {
        "store_unavailable": "PostgreSQL unreachable: connection refused",
        "store_not_migrated": "the event store schema is missing: run `ticket-command-api migrate`",
        "auth_unavailable": "the identity provider's keys cannot be fetched: timed out",
    },
}


def _errors_except(*left_out: str) -> dict[int | str, dict[str, object]]:
    """The OpenAPI responses of a route that can answer every code of ``ERROR_CODES`` but ``left_out``."""
    codes = {
        status: kept
        for status, named in ERROR_CODES.items()
        if (kept := {code: message for code, message in named.items() if code not in left_out})
    }
    return documented(*codes, codes=codes)


# Only a transition that assigns (the net's effects say which) names an assignee; only a public reply is refused
# on a closed ticket.
ASSIGN_ERRORS = _errors_except("ticket_closed")
TRANSITION_ERRORS = _errors_except("ticket_closed", "unknown_assignee")
# A message is no transition: it is never "not enabled", only refused on a closed ticket (replies).
REPLY_ERRORS = _errors_except("transition_not_enabled", "unknown_assignee")
NOTE_ERRORS = _errors_except("transition_not_enabled", "unknown_assignee", "ticket_closed")
# There is no ticket yet to miss, to race on, or to own when creating one.
CREATE_ERRORS = _errors_except(
    "ticket_not_found", "transition_not_enabled", "version_conflict", "ticket_closed", "unknown_assignee"
)


def _success(status: int, description: str) -> dict[int | str, dict[str, object]]:
    replayed = {"description": "`true` when this is the stored answer to an earlier request with the same key."}
    return {status: {"description": description, "headers": {REPLAYED_HEADER: replayed}}}


def command_router() -> APIRouter:
    """``POST /api/support-ticket``, ``POST /api/{transition}`` for each transition of the net, and the
    conversation: ``POST /api/support-ticket/{id}/replies`` and ``.../notes``."""
    router = APIRouter(prefix="/api", tags=["commands"])
    router.add_api_route(
        "/support-ticket",
        create_ticket,
        methods=["POST"],
        status_code=201,
        response_model=TicketChange,
        responses={**_success(201, "The ticket was created"), **CREATE_ERRORS},
        summary="Create a ticket",
    )
    for transition in SUPPORT_TICKET.transitions:
        router.add_api_route(
            f"/{transition.name}",
            _transition_handler(transition.name),
            methods=["POST"],
            response_model=TicketChange,
            responses={
                **_success(200, "The transition fired"),
                **(ASSIGN_ERRORS if EFFECTS[transition.name].assigns else TRANSITION_ERRORS),
            },
            summary=transition.description,
            description=f"Fires `{transition.name}`; records a `{transition.event_type}` event.",
            operation_id=f"fire_{transition.name}",
        )
    router.add_api_route(
        "/support-ticket/{ticket_id}/replies",
        post_reply,
        methods=["POST"],
        response_model=TicketChange,
        responses={**_success(200, "The reply was added"), **REPLY_ERRORS},
        summary="Reply in the ticket's conversation",
        description=f"Records a `{REPLY_ADDED}` event; the marking is unchanged. The requester or staff; not on "
        "a closed ticket (409 `ticket_closed`: reopen it first).",
        operation_id="add_reply",
    )
    router.add_api_route(
        "/support-ticket/{ticket_id}/notes",
        post_note,
        methods=["POST"],
        response_model=TicketChange,
        responses={**_success(200, "The note was added"), **NOTE_ERRORS},
        summary="Add an internal note (staff only)",
        description=f"Records an `{NOTE_ADDED}` event, never shown to customers; the marking is unchanged. Staff "
        "only (a customer gets 403 `forbidden`); allowed in every place, closed included.",
        operation_id="add_note",
    )
    return router


async def create_ticket(
    request: Request,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
    body: Annotated[CreateTicketData | None, Body(description="Optional; the seed's clients send none.")] = None,
) -> Response:
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
    ) -> Response:
        command = cast(TransitionRequest, body)
        sent = command.model_dump(mode="json", exclude_unset=True)
        context = _context(request, actor, idempotency_key, sent)
        data = command.data.model_dump(mode="json", exclude_unset=True) if command.data is not None else None
        service = runtime_of(request).commands()
        result = await service.fire(transition, command.aggregate_id, data, command.expected_version, context)
        return _answer(result)

    fire.__name__ = f"fire_{transition}"
    return fire


TicketId = Annotated[Text, Path(min_length=1, max_length=SHORT_TEXT, description="The ticket id (`aggregate_id`).")]


async def post_reply(
    request: Request,
    ticket_id: TicketId,
    body: MessageRequest,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return await _post_message(request, ticket_id, body, actor, idempotency_key, internal=False)


async def post_note(
    request: Request,
    ticket_id: TicketId,
    body: MessageRequest,
    actor: CurrentActor,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return await _post_message(request, ticket_id, body, actor, idempotency_key, internal=True)


async def _post_message(
    request: Request, ticket_id: str, body: MessageRequest, actor: Any, key: str | None, *, internal: bool
) -> Response:
    context = _context(request, actor, key, body.model_dump(mode="json", exclude_unset=True))
    result = (
        await runtime_of(request)
        .commands()
        .post_message(
            ticket_id,
            {"body": body.body},
            internal=internal,
            expected_version=body.expected_version,
            context=context,
        )
    )
    return _answer(result)


def _context(request: Request, actor: Any, key: str | None, sent: Any) -> RequestContext:
    request_id = getattr(request.state, "request_id", None) or str(uuid.uuid4())
    return RequestContext(actor, request_id, idempotent_request(key, request.url.path, sent))


def _answer(result: CommandResult) -> Response:
    headers = {REPLAYED_HEADER: "true"} if result.replayed else None
    return Response(orjson.dumps(result.body), result.status_code, headers, media_type="application/json")
