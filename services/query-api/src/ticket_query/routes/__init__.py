"""The query routes, one module per concern, mounted under ``/api``: :func:`query_router`.

Thin handlers: authenticate, wait for the requested position (read-your-writes), ask the read model, shape the
answer. What they read comes from :mod:`ticket_query.dependencies`, typed, from the app's
:class:`~ticket_query.parts.Parts`: any app (the query API, the embedded app) mounts them with its own read model.
"""

from fastapi import APIRouter

from . import alerts, directory, history, service_levels, stream, tickets


def query_router() -> APIRouter:
    """Every query route under ``/api`` (in the OpenAPI document's order), in one flat router.

    The routes are gathered, not included router in router: each level of included routers is matched again on
    every request, which cost ``GET /api/support-ticket/{id}`` a sixth of its rate (docs/performance.md, "The
    conversation and the restructuring")."""
    router = APIRouter()
    for part in (tickets, history, directory, service_levels, stream, alerts):
        router.routes.extend(part.router.routes)
    return router
