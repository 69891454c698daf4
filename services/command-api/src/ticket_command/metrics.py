"""The command API's metrics, on the app's registry (:func:`ticket_service.metrics.registry_of`).

- ``ticket_commands_total{command,outcome}``: each command the application service answered. ``command`` is the
  transition's name, ``create``, ``reply`` or ``note``; ``outcome`` is one of :data:`OUTCOMES`:

  ``accepted`` (events appended), ``replayed`` (the stored answer to an earlier request with the same
  Idempotency-Key), ``not_enabled`` (the transition is not enabled in the ticket's place, or the ticket is closed
  to replies), ``forbidden`` (the caller's roles may not), ``conflict`` (a stale or concurrent version, a key
  taken by a concurrent request), ``not_found`` (no such ticket for this caller), ``invalid`` (the data, the
  assignee or a reused key refused).

  A request refused before it reaches the service (authentication, a malformed body, a bad Idempotency-Key) and
  a store failure are not commands answered: they are in ``http_requests_total`` by status.
- ``ticket_events_appended_total``: events the command API appended to the store; ``ticket_append_events``
  (histogram): events per append (a command's events, written together);
- ``ticket_group_commit_appends`` (histogram): appends written by one group-commit batch (PostgreSQL only);
- the relay of this replica (PostgreSQL with the relay enabled), read from its status at scrape time:
  ``ticket_relay_leader`` (1 while this replica holds the relay lock, else 0), ``ticket_relay_published_position``
  (the stream's last entry), ``ticket_relay_store_position``, ``ticket_relay_behind_positions`` and
  ``ticket_relay_behind_seconds`` (the age of the oldest event not yet published; 0 when caught up), as the
  leader saw them at its last round (0 on a standby, which publishes nothing); ``ticket_relay_rounds_failed_total``;
  and ``ticket_relay_events_published_total``, counted as pages are added to the stream;
- the database pools (:func:`ticket_service.metrics.watch_pools`).

With several workers, the counters and histograms are summed over them and the relay's gauges merge by
:data:`RELAY_MODES` (:mod:`ticket_service.metrics_workers`).

Every series is created at zero, so that a rate is defined before the first command of its kind.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from ticket_eventstore.pools import pool_stats
from ticket_eventstore.postgres import PostgresEventStore
from ticket_eventstore.relay import Relay
from ticket_eventstore.relay.publisher import PublishObserver
from ticket_service.metrics import ScrapeCollector, registry_of, watch_pools
from ticket_service.metrics_workers import Mode
from ticket_service.shell import add_lifespan
from ticket_workflow import Event

if TYPE_CHECKING:
    from .runtime import Parts, PostgresStore

from ticket_eventstore.ports import IdempotencyKeyTaken
from ticket_workflow import SUPPORT_TICKET
from ticket_workflow.rejections import (
    NotEnabled,
    NotPermitted,
    TicketAlreadyExists,
    TicketClosed,
    TicketNotFound,
    VersionConflict,
)

from .idempotency import KeyReused

OUTCOMES = ("accepted", "replayed", "not_enabled", "forbidden", "conflict", "not_found", "invalid")
COMMANDS = ("create", "reply", "note", *(transition.name for transition in SUPPORT_TICKET.transitions))

_REFUSED: tuple[tuple[type[Exception], str], ...] = (
    (NotEnabled, "not_enabled"),
    (TicketClosed, "not_enabled"),
    (NotPermitted, "forbidden"),
    (VersionConflict, "conflict"),
    (TicketAlreadyExists, "conflict"),
    (IdempotencyKeyTaken, "conflict"),
    (TicketNotFound, "not_found"),
    (KeyReused, "invalid"),
)


def outcome_of(refusal: Exception) -> str:
    """The outcome of a command refused with ``refusal`` (any other :class:`Rejection` is ``invalid``)."""
    for kind, outcome in _REFUSED:
        if isinstance(refusal, kind):
            return outcome
    return "invalid"


class CommandMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        commands = Counter(
            "ticket_commands_total",
            "Commands answered by the command API, by command (transition, create, reply, note) and outcome",
            ("command", "outcome"),
            registry=registry,
        )
        self._counters = {(c, o): commands.labels(c, o) for c in COMMANDS for o in OUTCOMES}
        self.appended = Appended(registry)

    def answered(self, command: str, outcome: str) -> None:
        self._counters[command, outcome].inc()


class Appended:
    """``ticket_events_appended_total`` and the ``ticket_append_events`` histogram, moved by one call per append."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.total = Counter(
            "ticket_events_appended_total", "Events appended to the store by the command API", registry=registry
        )
        self.sizes = Histogram(
            "ticket_append_events",
            "Events per append (the events of one command, written together)",
            buckets=(1, 2, 3, 5, 10, 25, 50, 100),
            registry=registry,
        )

    def inc(self, events: int) -> None:
        self.total.inc(events)
        self.sizes.observe(events)


class StoreMetrics(PublishObserver):
    """The PostgreSQL store's group commit, and the relay's published events (when it runs one)."""

    def __init__(self, registry: CollectorRegistry, *, relay: bool) -> None:
        self.group_commit = Histogram(
            "ticket_group_commit_appends",
            "Appends written together by one group-commit batch",
            buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500),
            registry=registry,
        )
        self.relayed = Counter(
            "ticket_relay_events_published_total",
            "Events this replica's relay added to the stream (a republished entry included)",
            registry=registry if relay else None,
        )

    def published(self, events: Sequence[Event], started_at: float, seconds: float) -> None:
        self.relayed.inc(len(events))

    @contextlib.asynccontextmanager
    async def observing(self, store: object, relay: Relay | None) -> AsyncIterator[None]:
        """Told of ``store``'s group commits and ``relay``'s pages while the app runs."""
        store = getattr(store, "inner", store)  # under the decorator that seals personal data
        group = store.group_commit if isinstance(store, PostgresEventStore) else None
        if group is not None:
            group.observers.append(self.group_commit.observe)
        if relay is not None:
            relay.publisher.observers.append(self)
        try:
            yield
        finally:
            if group is not None:
                group.observers.remove(self.group_commit.observe)
            if relay is not None:
                relay.publisher.observers.remove(self)


def install(app: FastAPI, parts: Parts) -> CommandMetrics:
    """The command metrics on the app's registry, set as ``parts.metrics``; on PostgreSQL, the group commit, the
    relay (its gauges read at scrape time) and the pools. Call it after the store's lifespan is added: the
    observers attach to what that opened."""
    from .runtime import PostgresStore  # the runtime imports this module

    registry = registry_of(app)
    metrics = parts.metrics = CommandMetrics(registry)
    source = parts.source
    if not isinstance(source, PostgresStore):
        return metrics  # a store the host opened (the embedded SQLite store): no pool, no relay
    store_metrics = StoreMetrics(registry, relay=source.settings.relay_enabled)
    registry.register(ScrapeCollector(lambda: relay_families(_relay(source)), modes=RELAY_MODES))
    watch_pools(app, pool_stats)
    add_lifespan(app, lambda: store_metrics.observing(parts.commands().store, _relay(source)))
    return metrics


# How the relay's gauges of several workers merge (each worker runs a relay; one of them leads, the others say 0).
RELAY_MODES: Mapping[str, Mode] = {
    "ticket_relay_leader": "livesum",  # the workers of this replica that lead: 0 or 1
    # the leading worker's values (the standbys say 0); a dead worker's last ones are dropped
    "ticket_relay_published_position": "livemax",
    "ticket_relay_store_position": "livemax",
    "ticket_relay_behind_positions": "livemax",
    "ticket_relay_behind_seconds": "livemax",
}


def _relay(source: PostgresStore) -> Relay | None:
    opened = source.relay.peek()
    return opened[0] if opened is not None else None


def relay_families(relay: Relay | None) -> Iterator[Metric]:
    """The relay's gauges from its status (nothing when this process runs no relay)."""
    if relay is None:
        return
    status = relay.status
    leading = status.leader

    def gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, text, value=value)

    yield gauge("ticket_relay_leader", "1 while this replica's relay holds the relay lock and publishes", leading)
    yield gauge(
        "ticket_relay_published_position",
        "Position of the stream's last entry, at the leader's last round",
        status.published_position if leading else 0,
    )
    yield gauge(
        "ticket_relay_store_position",
        "The event store's last position, at the leader's last round",
        status.store_position if leading else 0,
    )
    yield gauge(
        "ticket_relay_behind_positions",
        "Positions committed but not yet on the stream, at the leader's last round",
        status.lag if leading else 0,
    )
    yield gauge(
        "ticket_relay_behind_seconds",
        "Age of the oldest event not yet on the stream, at the leader's last round (0: caught up)",
        status.behind_seconds if leading else 0.0,
    )
    yield CounterMetricFamily(
        "ticket_relay_rounds_failed", "Relay rounds that failed (Redis or the store unreachable)", status.rounds_failed
    )
