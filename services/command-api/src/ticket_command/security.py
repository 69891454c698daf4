"""Bearer token -> :class:`~ticket_workflow.Actor`, for every command route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticket_service.auth import AuthError
from ticket_workflow import Actor

from .runtime import runtime_of

bearer = HTTPBearer(auto_error=False, description="JWT with claims `sub`, `roles` (list) and `exp`.")


def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Actor:
    """Synchronous on purpose: FastAPI runs it in a worker thread, so a JWKS fetch never blocks the loop."""
    if credentials is None:
        raise AuthError("missing Authorization header (expected: Bearer <token>)", code="missing_token")
    return runtime_of(request).verifier.verify(credentials.credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]
