"""Bearer token -> :class:`~ticket_workflow.Actor`, for every command route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticket_service.auth import AuthError
from ticket_workflow import Actor

from .runtime import runtime_of

bearer = HTTPBearer(auto_error=False, description="JWT with claims `sub`, `roles` (list) and `exp`.")


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    """A key set fetched from an identity provider (JWKS) may need the network: that verification runs in a worker
    thread, so it never blocks the event loop. A configured secret or public key verifies in place."""
    if credentials is None:
        raise AuthError("missing Authorization header (expected: Bearer <token>)", code="missing_token")
    verifier = runtime_of(request).verifier
    if verifier.settings.jwks_url:
        return await run_in_threadpool(verifier.verify, credentials.credentials)
    return verifier.verify(credentials.credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]
