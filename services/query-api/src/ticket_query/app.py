"""Composition root of the query API: ``create_app(settings=None, read_model=None, ...)``, the service kit's
shell plus :func:`ticket_query.service.install`.

Without a read model, the lifespan opens PostgreSQL (:mod:`ticket_query.postgres`). Nothing connects or reads the
environment at import time.
"""

from __future__ import annotations

from fastapi import FastAPI

from ticket_readmodel.read_model import ReadModel
from ticket_service import tracing
from ticket_service.auth import TokenVerifier, require_key
from ticket_service.shell import create_shell
from ticket_workflow.ports import EventStore

from .checkpoints import CheckpointWatch
from .parts import Parts
from .postgres import open_postgres
from .service import install
from .settings import QuerySettings


def build_parts(
    settings: QuerySettings,
    read_model: ReadModel | None = None,
    verifier: TokenVerifier | None = None,
    event_store: EventStore | None = None,
    watch: CheckpointWatch | None = None,
) -> Parts:
    """The query API's Parts from ``settings``; ``read_model`` (and ``event_store``, for the lag on ``/ready``)
    replace the PostgreSQL ones. ``watch`` is the process's checkpoint (fed by the listener on PostgreSQL)."""
    return Parts(
        verifier=verifier or TokenVerifier(require_key(settings.auth, debug=settings.debug)),
        read_model=read_model,
        event_store=event_store,
        watch=watch,
        poll_seconds=settings.stream_poll_seconds,
        min_position_timeout=settings.min_position_timeout_seconds,
        stream_keepalive_seconds=settings.stream_keepalive_seconds,
        opener=open_postgres(settings) if read_model is None else None,
    )


def create_app(
    settings: QuerySettings | None = None,
    read_model: ReadModel | None = None,
    verifier: TokenVerifier | None = None,
    event_store: EventStore | None = None,
    watch: CheckpointWatch | None = None,
) -> FastAPI:
    """The query API (see :func:`build_parts` for the arguments)."""
    settings = settings or QuerySettings()
    tracing.install("query-api")
    app = create_shell(
        title="Support-ticket query API",
        version="0.1.0",
        description="Tickets, lists, audit trail, time travel, stats and live updates from the read models.",
    )
    install(app, build_parts(settings, read_model, verifier, event_store, watch))
    return app
