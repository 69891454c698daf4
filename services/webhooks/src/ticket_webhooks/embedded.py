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
from ticket_privacy import KeyStore, Privacy, SealingStore, key_encryption_key
from ticket_service.auth import TokenVerifier
from ticket_service.security import use_verifier
from ticket_service.shell import ReadinessCheck, add_checks, add_lifespan
from ticket_workflow import Event
from ticket_workflow.ports import StoreUnavailable

from . import api, metrics
from .dispatcher import Dispatcher, EventReader
from .migrations import WEBHOOKS, sqlite_webhooks_migrations
from .queue import Policy
from .sealing import Sealer
from .sender import Sender
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


class InProcessDispatch:
    """Built without the file; :meth:`start` (the file open) migrates and starts the worker and the poll."""

    def __init__(self, settings: WebhooksSettings, sealer: Sealer, opened: Callable[[], Opened]) -> None:
        self.settings, self.sealer, self._opened = settings, sealer, opened
        self.observers: list[Any] = []  # handed to the dispatcher when it starts
        self.privacy = Privacy(key_encryption_key(debug=settings.debug), ttl=0)  # keys read at every send
        self.last_error: str | None = None
        self._dispatcher: Dispatcher | None = None
        self._endpoints: SqliteEndpoints | None = None
        self._store: EventReader | None = None
        self._alerts: AlertSource | None = None
        self._queue: SqliteQueue | None = None
        self._poke = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            raise StoreUnavailable("the webhook dispatcher has not started")
        return self._dispatcher

    @property
    def endpoints(self) -> SqliteEndpoints:
        if self._endpoints is None:
            raise StoreUnavailable("the webhook dispatcher has not started")
        return self._endpoints

    @property
    def store(self) -> EventReader:
        if self._store is None:
            raise StoreUnavailable("the webhook dispatcher has not started")
        return self._store

    async def start(self) -> None:
        s, opened = self.settings, self._opened()
        await migrations.apply(opened.db, WEBHOOKS, sqlite_webhooks_migrations())
        self.privacy.keys = opened.keys
        self._store, self._alerts = opened.store, opened.alerts
        self._queue, self._endpoints = SqliteQueue(opened.db), SqliteEndpoints(opened.db)
        sender = Sender(
            timeout=s.webhooks_timeout_seconds,
            allow_private=s.webhooks_allow_private,
            allowed_hosts=s.webhooks_allowed_hosts,
        )
        self._dispatcher = Dispatcher(
            self._queue,
            SealingStore(opened.store, self.privacy),  # opened at send time: "[erased]" after an erasure
            self.sealer,
            sender,
            schedule=s.webhooks_retry_schedule,
            policy=Policy(s.webhooks_disable_after_failures, s.webhooks_disable_after_hours),
            concurrency=s.webhooks_concurrency,
            poll_seconds=s.webhooks_poll_seconds,
            batch_size=s.batch_size,
        )
        self._dispatcher.observers = self.observers
        await self._dispatcher.catch_up()  # the first start begins at the store's last event
        self._tasks = [
            asyncio.create_task(self._dispatcher.run(), name="webhooks-worker"),
            asyncio.create_task(self._poll(), name="webhooks-poll"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._dispatcher is not None:
            await self._dispatcher.sender.close()
        self._dispatcher = self._endpoints = self._store = self._alerts = self._queue = None

    def appended(self) -> None:
        """An append was projected: read the store after the checkpoint now."""
        self._poke.set()

    def ended(self) -> bool:
        return any(task.done() for task in self._tasks)

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
