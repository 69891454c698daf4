"""The query API as a part of an app built by :func:`ticket_service.shell.create_shell`: :func:`install`.

The query API's own root (:mod:`ticket_query.app`) and the embedded app both build the app this way; each builds
the :class:`~ticket_query.parts.Parts` from its own read model and checkpoint watch.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from ticket_service.security import use_verifier
from ticket_service.shell import NotReady, ReadinessCheck, add_checks, add_lifespan

from . import freshness, metrics
from .dependencies import STATE_KEY
from .parts import Parts
from .routes import query_router


def install(app: FastAPI, parts: Parts) -> None:
    """The query routes under ``/api``, the 503 ``projection_behind`` answer, what ``parts.opener`` opens for the
    app's lifetime, and the ``read_model`` check of ``/ready`` (the projected position and the lag)."""
    setattr(app.state, STATE_KEY, parts)
    use_verifier(app, parts.verifier)
    freshness.install(app)
    app.include_router(query_router())
    opener = parts.opener
    if opener is not None:
        add_lifespan(app, lambda: opener(parts))
    add_checks(app, [ReadinessCheck("read_model", lambda: read_model_ready(parts), headline=True)])
    metrics.install(app, parts)


async def read_model_ready(parts: Parts) -> dict[str, Any]:
    """``projected_position``, and the event store's ``last_position`` and the ``lag`` (null when the store is
    not known or unreachable: the reads still answer); not ready while the read model is unreachable."""
    try:
        projected = await parts.model().checkpoint()
    except Exception as exc:
        raise NotReady(f"the read model is unreachable: {type(exc).__name__}: {exc}", status="unavailable") from exc
    ready: dict[str, Any] = {"projected_position": projected, "last_position": None, "lag": None}
    if parts.event_store is None:
        return ready
    try:
        last = await parts.event_store.last_position()
    except Exception as exc:
        return ready | {"event_store": f"unreachable: {type(exc).__name__}: {exc}"}
    return ready | {"last_position": last, "lag": max(0, last - projected)}
