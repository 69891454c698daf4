"""The composition root of the embedded mode: ``create_app(settings=None)``.

One shell, the three services' installs (command, query, projector), the webhook dispatcher, and the web UI.
Only the adapters differ from the distributed services: one SQLite file holds the event store, the read model
and the webhooks' queue (opened here, before the installs' own lifespans), each committed append is projected
in-process instead of through Redis, and the webhook dispatcher is told of each projected append.
``/health`` and ``/ready`` are the shell's, from the three installs' readiness checks.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

import ticket_command
import ticket_projector
import ticket_query
import ticket_webhooks
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_privacy import Privacy, SealingStore, key_encryption_key
from ticket_privacy.sqlite import SqliteKeyStore
from ticket_readmodel.alerts_sqlite import SqliteAlertLog
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service import tracing
from ticket_service.auth import DEVELOPMENT_SECRET, TokenVerifier, require_key
from ticket_service.shell import add_lifespan, create_shell
from ticket_workflow.ports import StoreUnavailable

from .settings import EmbeddedSettings

TITLE = "Support Ticket (embedded)"
DESCRIPTION = "The command and query APIs of the support-ticket system in one process, on one SQLite file."


@dataclass
class Storage:
    """The SQLite file's event store, read model and personal data keys, open for the app's lifetime."""

    path: str
    privacy: Privacy
    _open: tuple[SqliteEventStore, SqliteReadModel, SqliteDatabase] | None = field(default=None, init=False)

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        db = await SqliteDatabase.open(self.path)
        try:
            store = await SqliteEventStore.create(db)
            read_model = SqliteReadModel(db)
            await read_model.migrate()
            self.privacy.keys = await SqliteKeyStore.create(db)  # after the events: it indexes their table
            self._open = (store, read_model, db)
            yield
        finally:
            self._open = None
            await db.close()

    def store(self) -> SqliteEventStore:
        return self._opened()[0]

    def read_model(self) -> SqliteReadModel:
        return self._opened()[1]

    def webhooks(self) -> ticket_webhooks.Opened:
        """What the webhook dispatcher works on: the file, its events, the personal data keys, the SLA alerts."""
        store, read_model, db = self._opened()
        keys = self.privacy.keys
        if keys is None:
            raise StoreUnavailable("the personal data keys are not open")
        return ticket_webhooks.Opened(db, store, keys, SqliteAlertLog.of(read_model))

    def _opened(self) -> tuple[SqliteEventStore, SqliteReadModel, SqliteDatabase]:
        if self._open is None:
            raise StoreUnavailable(f"the database {self.path} is not open")
        return self._open


@dataclass(frozen=True)
class Parts:
    """The embedded app's parts: its storage, the three services' parts and the webhook dispatcher on it."""

    storage: Storage
    command: ticket_command.Parts
    query: ticket_query.Parts
    projection: ticket_projector.Parts
    webhooks: ticket_webhooks.InProcessDispatch
    verifier: TokenVerifier


def build_parts(settings: EmbeddedSettings) -> Parts:
    """Refuses (:class:`~ticket_service.auth.MissingKey`, :class:`~ticket_webhooks.sealing.MissingSecretKey`)
    to build without a JWT key or a webhook secrets' key unless ``DEBUG``."""
    auth = require_key(settings.auth, debug=settings.debug)
    verifier = TokenVerifier(auth)  # one verifier for the command and the query routes
    storage = Storage(settings.db_path, Privacy(key_encryption_key(debug=settings.debug)))
    query = ticket_query.Parts(
        verifier=verifier,
        poll_seconds=settings.stream_poll_seconds,
        min_position_timeout=settings.min_position_timeout_seconds,
        stream_keepalive_seconds=settings.stream_keepalive_seconds,
        opener=_read_side(storage),
    )
    hooks = ticket_webhooks.WebhooksSettings(debug=settings.debug)  # WEBHOOKS_* from the environment
    sealer = ticket_webhooks.Sealer.from_setting(hooks.webhooks_secret_key, debug=settings.debug)
    webhooks = ticket_webhooks.InProcessDispatch(hooks, sealer, storage.webhooks)

    def projected(position: int) -> None:
        query.checkpoint.advance(position)
        webhooks.appended()

    # Fed by the in-process projection: a wait for a position or a live stream wakes when it is projected, and
    # the webhook dispatcher reads the new events.
    projection = ticket_projector.InProcessProjection(lambda: (storage.read_model(), storage.store()), projected)
    projection.privacy = storage.privacy  # events are stored sealed: opened before they are projected
    # Debug tokens are signed with the public development secret only, so they exist only where it is the key.
    minting = settings.debug and auth.secret == DEVELOPMENT_SECRET
    command = ticket_command.Parts(
        verifier=verifier,
        source=ticket_command.GivenStore(lambda: SealingStore(projection.projecting(), storage.privacy)),
        mint_secret=DEVELOPMENT_SECRET if minting else None,
    )
    return Parts(storage, command, query, ticket_projector.Parts(projection), webhooks, verifier)


def _read_side(storage: Storage) -> Callable[[ticket_query.Parts], AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def opened(query: ticket_query.Parts) -> AsyncIterator[None]:
        query.event_store, query.read_model = storage.store(), storage.read_model()
        query.checkpoint.feeding(True)
        try:
            yield
        finally:
            query.checkpoint.feeding(False)
            query.read_model = query.event_store = None

    return opened


def create_app(settings: EmbeddedSettings | None = None) -> FastAPI:
    settings = settings or EmbeddedSettings()
    tracing.install("embedded")  # first: the installs below are this one process
    parts = build_parts(settings)
    app = create_shell(title=TITLE, version="0.1.0", description=DESCRIPTION, max_body_bytes=settings.max_body_bytes)
    add_lifespan(app, parts.storage.open)  # entered first: every install below works on the open file
    ticket_projector.install(app, parts.projection)  # caught up before the first command is taken
    ticket_command.install(app, parts.command)
    ticket_query.install(app, parts.query)
    ticket_webhooks.install_in_process(app, parts.webhooks, parts.verifier)  # after the projector: its alerts
    if settings.frontend_dir is not None and settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    return app
