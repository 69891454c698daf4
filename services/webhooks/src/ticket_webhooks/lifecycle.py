"""What the dispatcher's two hosts share: the service's :class:`~ticket_webhooks.runtime.Runtime` (PostgreSQL and
Redis) and the embedded mode's :class:`~ticket_webhooks.embedded.InProcessDispatch` (SQLite).

Each is built without connecting; its ``start`` opens its storage, builds the :class:`Dispatcher`
(:meth:`DispatchLifecycle._dispatching`) and runs its tasks (:meth:`DispatchLifecycle._run`); its ``stop`` ends
them (:meth:`DispatchLifecycle._stop_running`). Until it has started, the dispatcher, the endpoints and the store
are refused with :class:`~ticket_workflow.ports.StoreUnavailable`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

from ticket_privacy import Privacy, SealingStore, key_encryption_key
from ticket_privacy.store import Appending
from ticket_workflow.ports import StoreUnavailable

from .dispatcher import Dispatcher
from .ports import DeliveryQueue
from .queue import Policy
from .sealing import Sealer
from .sender import Sender
from .settings import WebhooksSettings

EndpointsT = TypeVar("EndpointsT")
StoreT = TypeVar("StoreT")
T = TypeVar("T")
NOT_STARTED = "the webhook dispatcher has not started"


class DispatchLifecycle(Generic[EndpointsT, StoreT]):
    """The dispatcher, the endpoints and the store once started; the tasks that run the dispatcher."""

    def __init__(self, settings: WebhooksSettings, sealer: Sealer) -> None:
        self.settings = settings
        self.sealer = sealer
        self.observers: list[Any] = []  # handed to the dispatcher when it starts
        # Opens personal values for partners, the keys read at every send: nothing is sent after an erasure.
        self.privacy = Privacy(key_encryption_key(debug=settings.debug), ttl=0)
        self._dispatcher: Dispatcher | None = None
        self._endpoints: EndpointsT | None = None
        self._store: StoreT | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def dispatcher(self) -> Dispatcher:
        return _started(self._dispatcher)

    @property
    def endpoints(self) -> EndpointsT:
        return _started(self._endpoints)

    @property
    def store(self) -> StoreT:
        return _started(self._store)

    def ended(self) -> bool:
        return any(task.done() for task in self._tasks)

    def _dispatching(self, queue: DeliveryQueue, events: Appending) -> Dispatcher:
        """The dispatcher on ``queue``, reading ``events`` opened at send time ("[erased]" after an erasure)."""
        s = self.settings
        sender = Sender(
            timeout=s.webhooks_timeout_seconds,
            allow_private=s.webhooks_allow_private,
            allowed_hosts=s.webhooks_allowed_hosts,
        )
        self._dispatcher = Dispatcher(
            queue,
            SealingStore(events, self.privacy),
            self.sealer,
            sender,
            schedule=s.webhooks_retry_schedule,
            policy=Policy(s.webhooks_disable_after_failures, s.webhooks_disable_after_hours),
            concurrency=s.webhooks_concurrency,
            poll_seconds=s.webhooks_poll_seconds,
            batch_size=s.batch_size,
        )
        self._dispatcher.observers = self.observers
        return self._dispatcher

    def _run(self, *work: tuple[str, Coroutine[Any, Any, None]]) -> None:
        """Each ``(name, coroutine)`` as a task; :meth:`ended` once one of them has."""
        self._tasks = [asyncio.create_task(coroutine, name=name) for name, coroutine in work]

    async def _stop_running(self) -> None:
        """The tasks cancelled and waited for, then the sender's connections closed."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._dispatcher is not None:
            await self._dispatcher.sender.close()


def _started(part: T | None) -> T:
    if part is None:
        raise StoreUnavailable(NOT_STARTED)
    return part
