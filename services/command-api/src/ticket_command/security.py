"""Bearer token -> :class:`~ticket_workflow.Actor`, for every command route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticket_service.auth import AuthError
from ticket_workflow import Actor

from .runtime import runtime_of

bearer = HTTPBearer(auto_error=False, description="JWT with claims `sub`, `roles` (list) and `exp`.")


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    """Verified in place; only a token whose key must first be fetched from the identity provider (JWKS) goes to
    a worker thread, so a slow provider never blocks the event loop."""
    if credentials is None:
        raise AuthError("missing Authorization header (expected: Bearer <token>)", code="missing_token")
    return await runtime_of(request).verifier.verify_async(credentials.credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]
