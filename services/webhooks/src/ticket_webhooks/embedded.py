"""The dispatcher inside the embedded mode (``make run``): the same :class:`~ticket_webhooks.dispatcher.Dispatcher`
and admin API on the embedded mode's SQLite file, with no Redis.

The host opens the file and hands over what :class:`Opened` names; :class:`InProcessDispatch` applies the
webhooks tables' migrations to it, then turns the store's events after the checkpoint into deliveries when told
an append was projected (:meth:`InProcessDispatch.appended`) and at least every ``WEBHOOKS_POLL_SECONDS``, and
the service-level alerts recorded in the read model after their own checkpoint (by ``seq``) likewise."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import FastAPI

from ticket_eventstore.sqlite import SqliteEventStore
from ticket_migrations import sqlite as migrations
from ticket_migrations.sqlite import SqliteDatabase
from ticket_privacy import KeyStore
from ticket_service.auth import TokenVerifier
from ticket_service.security import use_verifier
from ticket_service.shell import ReadinessCheck, add_checks, add_lifespan
from ticket_workflow import Event

from . import api, metrics
from .dispatcher import EventReader
from .lifecycle import DispatchLifecycle
from .migrations import WEBHOOKS, sqlite_webhooks_migrations
from .sealing import Sealer
from .settings import WebhooksSettings
from .sqlite_endpoints import SqliteEndpoints
from .sqlite_queue import SqliteQueue

log = logging.getLogger("ticket_webhooks.embedded")


class RaisedAlert(Protocol):
    @property
    def seq(self) -> int: ...

    def entry(self) -> dict[str, str]: ...


class AlertSource(Protocol):
    """The alerts the service-level timer recorded, in ``seq`` order after ``after``."""

    async def alerts(self, after: int, limit: int) -> Sequence[RaisedAlert]: ...


@dataclass(frozen=True)
class Opened:
    db: SqliteDatabase
    store: SqliteEventStore
    keys: KeyStore
    alerts: AlertSource


class InProcessDispatch(DispatchLifecycle[SqliteEndpoints, EventReader]):
    """Built without the file; :meth:`start` (the file open) migrates and starts the worker and the poll."""

    def __init__(self, settings: WebhooksSettings, sealer: Sealer, opened: Callable[[], Opened]) -> None:
        super().__init__(settings, sealer)
        self._opened = opened
        self.last_error: str | None = None
        self._alerts: AlertSource | None = None
        self._queue: SqliteQueue | None = None
        self._poke = asyncio.Event()

    async def start(self) -> None:
        opened = self._opened()
        await migrations.apply(opened.db, WEBHOOKS, sqlite_webhooks_migrations())
        self.privacy.keys = opened.keys
        self._store, self._alerts = opened.store, opened.alerts
        self._queue, self._endpoints = SqliteQueue(opened.db), SqliteEndpoints(opened.db)
        dispatcher = self._dispatching(self._queue, opened.store)
        await dispatcher.catch_up()  # the first start begins at the store's last event
        self._run(("webhooks-worker", dispatcher.run()), ("webhooks-poll", self._poll()))

    async def stop(self) -> None:
        await self._stop_running()
        self._tasks = []
        self._dispatcher = self._endpoints = self._store = self._alerts = self._queue = None

    def appended(self) -> None:
        """An append was projected: read the store after the checkpoint now."""
        self._poke.set()

    async def _poll(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.webhooks_poll_seconds):
                    await self._poke.wait()
            self._poke.clear()
            try:
                await self.dispatcher.catch_up()
                await self._ingest_alerts()
                self.last_error = None
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("queueing deliveries failed, trying again: %s", self.last_error)

    async def _ingest_alerts(self) -> None:
        assert self._queue is not None and self._alerts is not None
        seen = await self._queue.alerts_seen()
        for alert in await self._alerts.alerts(seen, self.settings.batch_size):
            if await self._queue.ingest_alert(str(alert.seq), alert.entry()):
                self.dispatcher.wake()

    async def readiness(self) -> dict[str, Any]:
        checkpoint = await self.dispatcher.queue.checkpoint() or 0
        last = await self.store.last_position()
        if self.last_error is not None or self.dispatcher.last_error is not None:
            raise RuntimeError(self.last_error or self.dispatcher.last_error)
        return {
            "checkpoint": checkpoint,
            "last_position": last,
            "lag": max(0, last - checkpoint),
            "open_deliveries": await self.dispatcher.queue.open_count(),
        }


class _Backend:
    def __init__(self, dispatch: InProcessDispatch) -> None:
        self.dispatch = dispatch

    @property
    def endpoints(self) -> SqliteEndpoints:
        return self.dispatch.endpoints

    async def last_position(self) -> int:
        return await self.dispatch.store.last_position()

    async def events_from(self, position: int, limit: int) -> list[Event]:
        return await self.dispatch.store.read_all(position - 1, limit)

    def wake(self) -> None:
        self.dispatch.dispatcher.wake()


def install_in_process(app: FastAPI, dispatch: InProcessDispatch, verifier: TokenVerifier) -> None:
    """The dispatcher's lifetime in the app's lifespan (after the file is open), its readiness check
    (``webhooks``), the admin API under ``/api/webhooks`` and the metrics."""
    s = dispatch.settings
    app.state.webhooks_redeliver_limit = s.webhooks_redeliver_limit

    @contextlib.asynccontextmanager
    async def running() -> AsyncIterator[None]:
        await dispatch.start()
        try:
            yield
        finally:
            await dispatch.stop()

    def dead() -> str | None:
        return "the webhook worker has ended" if dispatch.ended() else None

    add_lifespan(app, running)
    add_checks(app, [ReadinessCheck("webhooks", dispatch.readiness, dead=dead)])
    use_verifier(app, verifier)
    api.install(app, _Backend(dispatch), dispatch.sealer, s.webhooks_allow_private, s.webhooks_allowed_hosts)
    metrics.install(app, dispatch, pools=False)
