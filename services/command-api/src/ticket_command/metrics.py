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
- ``ticket_events_appended_total``: events the command API appended to the store.

Every series is created at zero, so that a rate is defined before the first command of its kind.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

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
        self.appended = Counter(
            "ticket_events_appended_total", "Events appended to the store by the command API", registry=registry
        )

    def answered(self, command: str, outcome: str) -> None:
        self._counters[command, outcome].inc()
