"""``POST /api/debug/token``: mints development tokens. Mounted only when ``DEBUG=true``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ticket_service.auth import issue_token
from ticket_service.errors import ApiError, documented
from ticket_workflow import UnknownRole

from .models import TokenRequest, TokenResponse
from .runtime import runtime_of

router = APIRouter(prefix="/api/debug", tags=["debug"])


@router.post("/token", response_model=TokenResponse, responses=documented(400, 413, 422), summary="Mint a dev token")
async def token(request: Request, body: TokenRequest) -> TokenResponse:
    runtime = runtime_of(request)
    if runtime.mint_secret is None:
        raise ApiError(404, "not_found", "token minting is not available")
    settings = runtime.verifier.settings.model_copy(update={"secret": runtime.mint_secret})
    try:
        issued = issue_token(settings, body.sub, body.roles, ttl_seconds=body.ttl_seconds)
    except UnknownRole as exc:
        raise ApiError(422, "invalid_request", f"roles: {exc}", field="roles") from None
    return TokenResponse(token=issued.token, sub=body.sub, roles=body.roles, expires_at=issued.expires_at.isoformat())
