"""One JSON error shape for every service: ``{"success": false, "code", "message", "field"?, "request_id"}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from ticket_workflow import (
    InvalidData,
    NotEnabled,
    NotPermitted,
    Rejection,
    TicketAlreadyExists,
    TicketClosed,
    TicketNotFound,
    UnknownAssignee,
    VersionConflict,
)
from ticket_workflow.data import is_unsafe_text
from ticket_workflow.ports import StoreUnavailable

from .auth import AuthError, AuthUnavailable


class ErrorBody(BaseModel):
    """Every error response."""

    success: bool = False
    code: str
    message: str
    field: str | None = None
    request_id: str | None = None


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.extra = status, code, message, field, extra


REJECTION_STATUS: dict[type[Rejection], int] = {
    InvalidData: 422,
    NotPermitted: 403,
    TicketNotFound: 404,
    TicketAlreadyExists: 409,
    NotEnabled: 409,
    VersionConflict: 409,
    TicketClosed: 409,
    UnknownAssignee: 422,
}


def status_of(rejection: Rejection) -> int:
    for kind, status in REJECTION_STATUS.items():
        if isinstance(rejection, kind):
            return status
    return 400


RETRY_AFTER_SECONDS = 1


def error_response(
    request: Request, status: int, code: str, message: str, field: str | None = None, **extra: Any
) -> JSONResponse:
    """The shared error shape. A 503 tells the client when to retry; a 401 which scheme to use."""
    field = _escaped(field) if field is not None else None
    body = ErrorBody(
        code=code, message=_escaped(message), field=field, request_id=getattr(request.state, "request_id", None)
    )
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 503:
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return JSONResponse(body.model_dump(exclude_none=True) | extra, status_code=status, headers=headers or None)


def _escaped(text: str) -> str:
    """``text`` with unpaired surrogates written as escapes: a refusal may quote them, and JSON must be UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if is_unsafe_text(text) else text


def documented(*statuses: int, codes: Mapping[int, Mapping[str, str]] | None = None) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the given error statuses.

    ``codes`` maps a status to the error codes it answers with, each with an example message: they are listed
    in the description and given as named examples, so clients can see every ``code`` they must handle.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        named = (codes or {}).get(status, {})
        description = _DESCRIPTIONS.get(status, "Error")
        entry: dict[str, Any] = {"model": ErrorBody, "description": description}
        if named:
            entry["description"] = f"{description}. Codes: " + ", ".join(f"`{code}`" for code in named)
            examples = {
                code: {"summary": code, "value": {"success": False, "code": code, "message": message}}
                for code, message in named.items()
            }
            entry["content"] = {"application/json": {"examples": examples}}
        responses[status] = entry
    return responses


_DESCRIPTIONS = {
    400: "Malformed request body",
    401: "Missing, invalid or expired token",
    403: "Role may not do this, or the customer does not own the ticket",
    404: "Unknown ticket",
    409: "Transition not enabled in the current state, version conflict, or the ticket is closed",
    413: "Request body too large",
    422: "Invalid request (body, parameter or header): `field` names it",
    500: "Unexpected error (a bug): `internal_error`",
    503: "A backing store (or the identity provider) is unreachable; retry after `Retry-After` seconds",
}


def install(app: FastAPI) -> None:
    """Map every error the services raise onto the shared JSON shape."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status, exc.code, exc.message, exc.field, **exc.extra)

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        return error_response(request, 401, exc.code, exc.message)

    @app.exception_handler(Rejection)
    async def _rejection(request: Request, exc: Rejection) -> JSONResponse:
        field = (
            exc.field if isinstance(exc, InvalidData) else "data.assignee" if isinstance(exc, UnknownAssignee) else None
        )
        return error_response(request, status_of(exc), exc.code, exc.message, field)

    @app.exception_handler(AuthUnavailable)
    async def _auth_unavailable(request: Request, exc: AuthUnavailable) -> JSONResponse:
        return error_response(request, 503, "auth_unavailable", str(exc))

    @app.exception_handler(StoreUnavailable)
    async def _unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        return error_response(request, 503, "store_unavailable", str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(p) for p in first.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):  # where it was; a field may be named "body"
            loc = loc[1:]
        field = ".".join(loc) or None
        if first.get("type") == "json_invalid":
            return error_response(request, 400, "malformed_json", f"request body is not valid JSON: {first['msg']}")
        message = f"{field}: {first['msg']}" if field else str(first["msg"])
        return error_response(request, 422, "invalid_request", message, field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = error_response(request, exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = allowed_methods(request, exc.headers)
        return response


def allowed_methods(request: Request, given: Mapping[str, str] | None = None) -> str:
    """Every method some route serves at the request's path (a 405 names them all, not just the first route's).

    Each method is tried against the routes, included routers among them; mounts (static files) are left out.
    """
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    methods = [
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    return ", ".join(methods) or (given or {}).get("Allow", "GET, HEAD")


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
