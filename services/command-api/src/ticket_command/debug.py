"""``POST /api/debug/token``: mints development tokens. Mounted only when ``DEBUG=true``."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from ticket_service.auth import mint_token
from ticket_service.errors import ApiError, documented
from ticket_workflow import SUPPORT_TICKET, UnknownRole, effective_roles

from .models import TokenRequest, TokenResponse
from .runtime import runtime_of

router = APIRouter(prefix="/api/debug", tags=["debug"])


@router.post("/token", response_model=TokenResponse, responses=documented(400, 413, 422), summary="Mint a dev token")
async def token(request: Request, body: TokenRequest) -> TokenResponse:
    secret = runtime_of(request).mint_secret
    if secret is None:
        raise ApiError(404, "not_found", "token minting is not available")
    try:
        effective_roles(SUPPORT_TICKET, body.roles)
    except UnknownRole as exc:
        raise ApiError(422, "invalid_request", f"roles: {exc}", field="roles") from None
    now = datetime.now(UTC)
    verifier = runtime_of(request).verifier.settings
    minted = mint_token(
        secret,
        body.sub,
        body.roles,
        ttl_seconds=body.ttl_seconds,
        issuer=verifier.issuer,
        audience=verifier.audience,
        now=now.timestamp(),
    )
    expires = datetime.fromtimestamp(int(now.timestamp()) + body.ttl_seconds, UTC)
    return TokenResponse(token=minted, sub=body.sub, roles=body.roles, expires_at=expires.isoformat())
