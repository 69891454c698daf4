"""The one authentication dependency of both APIs: a bearer token -> :class:`~ticket_workflow.Actor`.

``use_verifier(app, verifier)`` names the app's :class:`~ticket_service.auth.TokenVerifier` (one per app: the
embedded app's command and query routes share it). Routes then declare ``actor: CurrentActor`` or, for a live
stream an ``EventSource`` opens (it cannot send headers), ``caller: StreamCaller``, which also takes
``?access_token=``.

Verification never blocks the event loop: a token seen before, or signed with a local key (HS256 secret, PEM key)
or a JWKS key already fetched, is checked in place (a signature check, no I/O); only a token whose key must first
be fetched from the identity provider goes to a worker thread (:meth:`TokenVerifier.check_async`). The JWKS cache
(:mod:`ticket_service.jwks`) fetches at most once a minute and refuses unknown key ids from memory meanwhile.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ticket_workflow import SUPPORT_TICKET, Actor, effective_roles

from .auth import AuthError, TokenVerifier, Verified, bearer_token
from .errors import ApiError

bearer = HTTPBearer(auto_error=False, description="JWT with claims `sub`, `roles` (list) and `exp`.")


def use_verifier(app: FastAPI, verifier: TokenVerifier) -> None:
    """Makes ``verifier`` the app's; a second, different verifier is a wiring mistake and refused."""
    known = getattr(app.state, "verifier", None)
    if known is not None and known is not verifier:
        raise RuntimeError("this app already verifies tokens with another TokenVerifier")
    app.state.verifier = verifier


def verifier_of(request: Request) -> TokenVerifier:
    verifier: TokenVerifier | None = getattr(request.app.state, "verifier", None)
    if verifier is None:
        raise RuntimeError("no TokenVerifier installed: call ticket_service.security.use_verifier(app, verifier)")
    return verifier


async def authenticate(request: Request) -> Actor:
    """The caller of ``request`` from its ``Authorization: Bearer`` header (for handlers outside FastAPI's
    dependency injection, e.g. a fast path); 401 without a valid token, 503 when the provider's keys are out."""
    token = bearer_token(request.headers.get("authorization"))
    actor = (await verifier_of(request).check_async(token)).actor
    request.state.actor = actor.sub  # for the request's log line
    return actor


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None
) -> Actor:
    # ``credentials`` declares the scheme in the OpenAPI document; the header itself is read by ``authenticate``,
    # so that a wrong scheme is named as such.
    return await authenticate(request)


async def stream_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None,
    access_token: Annotated[str | None, Query(description="For EventSource, which cannot send headers.")] = None,
) -> Verified:
    """The verified token (with its expiry, which ends the stream) from the header, or else ``?access_token=``."""
    if request.headers.get("authorization"):
        token = bearer_token(request.headers.get("authorization"))
    elif access_token:
        token = access_token
    else:
        raise AuthError("missing token: send Authorization: Bearer <token> or ?access_token=", code="missing_token")
    verified = await verifier_of(request).check_async(token)
    request.state.actor = verified.actor.sub  # for the request's log line
    return verified


CurrentActor = Annotated[Actor, Depends(current_actor)]
StreamCaller = Annotated[Verified, Depends(stream_caller)]

ADMIN = "admin"


async def admin_actor(actor: CurrentActor) -> Actor:
    """The caller, if an admin (the role itself, not one it inherits): 403 ``forbidden`` for any other role."""
    if ADMIN not in effective_roles(SUPPORT_TICKET, actor.roles):
        raise ApiError(403, "forbidden", "this is for admins only")
    return actor


AdminActor = Annotated[Actor, Depends(admin_actor)]
"""Every admin-only route declares ``actor: AdminActor`` (the operator's console, policies, webhooks, erasure)."""
