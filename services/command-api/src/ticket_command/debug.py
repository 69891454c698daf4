"""``POST /api/debug/token``: mints development tokens. Mounted only when ``DEBUG=true``.

The tokens are signed with the public development secret, never with a configured key: anyone who can reach
this route could otherwise mint admin tokens that a real deployment accepts. So they work only where the service
itself verifies with the development secret (``DEBUG=true`` without a key); elsewhere the route answers 404.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from ticket_service.auth import DEVELOPMENT_SECRET, issue_token
from ticket_service.errors import ApiError, documented
from ticket_workflow import UnknownRole

from .models import TokenRequest, TokenResponse
from .runtime import runtime_of

router = APIRouter(prefix="/api/debug", tags=["debug"])


@router.post("/token", response_model=TokenResponse, responses=documented(400, 413, 422), summary="Mint a dev token")
async def token(request: Request, body: TokenRequest) -> TokenResponse:
    runtime = runtime_of(request)
    settings = runtime.verifier.settings
    if runtime.mint_secret is None or settings.secret != DEVELOPMENT_SECRET:
        raise ApiError(
            404,
            "not_found",
            "token minting is not available: this service verifies tokens with a configured key "
            "(debug tokens exist only with DEBUG=true and no JWT key)",
        )
    try:
        issued = issue_token(
            settings.model_copy(update={"secret": DEVELOPMENT_SECRET}),
            body.sub,
            body.roles,
            ttl_seconds=body.ttl_seconds,
        )
    except UnknownRole as exc:
        raise ApiError(422, "invalid_request", f"roles: {exc}", field="roles") from None
    except ValueError as exc:
        field = "sub" if str(exc).startswith("sub") else "roles"
        raise ApiError(422, "invalid_request", str(exc), field=field) from None
    return TokenResponse(token=issued.token, sub=body.sub, roles=body.roles, expires_at=issued.expires_at.isoformat())
