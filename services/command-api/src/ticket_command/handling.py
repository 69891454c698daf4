"""The application service: load the ticket, decide, record the events, append them, answer.

Works with any :class:`~ticket_workflow.ports.EventStore` (PostgreSQL, or the embedded SQLite twin). Races
are settled by the store: the append names the version the decision was made on, and a stale decision gets
:class:`~ticket_workflow.ports.ConcurrencyConflict` (409) with nothing written.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ticket_workflow import (
    Actor,
    CreateTicket,
    EventMetadata,
    FireTransition,
    Rejection,
    TicketState,
    decide,
    evolve,
    record,
)
from ticket_workflow.ports import ConcurrencyConflict, EventStore, IdempotencyKeyTaken, RecordedResponse

from .idempotency import IdempotentRequest, KeyReused
from .models import TicketChange
from .tickets import TicketStates


@dataclass(frozen=True)
class RequestContext:
    """Who asks, within which request."""

    actor: Actor
    request_id: str
    idempotency: IdempotentRequest | None = None


@dataclass(frozen=True)
class CommandResult:
    status_code: int
    body: dict[str, Any]
    replayed: bool = False


class CommandService:
    def __init__(
        self,
        store: EventStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        cached_tickets: int = 10_000,
    ) -> None:
        self.store = store
        self.clock = clock
        self.new_id = new_id
        self.tickets = TicketStates(store, capacity=cached_tickets)

    async def create_ticket(self, data: dict[str, Any] | None, context: RequestContext) -> CommandResult:
        if (replay := await self._replay(context)) is not None:
            return replay
        command = CreateTicket(ticket_id=self.new_id(), actor=context.actor, at=self.clock(), data=data)
        return await self._settled(context, self._execute(None, command, context, status_code=201))

    async def fire(
        self,
        transition: str,
        ticket_id: str,
        data: dict[str, Any] | None,
        expected_version: int | None,
        context: RequestContext,
    ) -> CommandResult:
        if (replay := await self._replay(context)) is not None:
            return replay
        state = await self.tickets.load(ticket_id)
        command = FireTransition(
            ticket_id=ticket_id,
            transition=transition,
            actor=context.actor,
            at=self.clock(),
            data=data,
            expected_version=expected_version,
        )
        return await self._settled(context, self._execute(state, command, context, status_code=200))

    async def _settled(self, context: RequestContext, attempt: Awaitable[CommandResult]) -> CommandResult:
        """Run ``attempt``; if it is refused while a concurrent request with the same key won, answer what that
        request answered (a retry racing its original must not see the original's effect as a conflict)."""
        try:
            return await attempt
        except (Rejection, ConcurrencyConflict, IdempotencyKeyTaken):
            replay = await self._replay(context)
            if replay is None:
                raise
            return replay

    async def _execute(
        self,
        state: TicketState | None,
        command: CreateTicket | FireTransition,
        context: RequestContext,
        *,
        status_code: int,
    ) -> CommandResult:
        decided = decide(state, command)
        version = state.version if state else 0
        metadata = EventMetadata(
            actor=context.actor.sub,
            roles=tuple(sorted(context.actor.roles)),
            correlation_id=context.request_id,
            causation_id=context.request_id,
            idempotency_key=context.idempotency.key if context.idempotency else None,
        )
        events = [
            record(
                new,
                event_id=self.new_id(),
                stream_id=command.ticket_id,
                version=version + offset,
                timestamp=command.at,
                metadata=metadata,
            )
            for offset, new in enumerate(decided, start=1)
        ]
        after = state
        for event in events:
            after = evolve(after, event)
        assert after is not None  # every accepted command writes at least one event
        body = TicketChange.body(after, context.actor, position=None)
        stored = await self.store.append(
            command.ticket_id, version, events, response=self._response(context, status_code, body)
        )
        self.tickets.remember(after)
        return CommandResult(status_code, {**body, "position": stored[-1].position})

    def _response(self, context: RequestContext, status_code: int, body: dict[str, Any]) -> RecordedResponse | None:
        if context.idempotency is None:
            return None
        return RecordedResponse(
            context.actor.sub, context.idempotency.key, context.idempotency.request_hash, status_code, body
        )

    async def _replay(self, context: RequestContext) -> CommandResult | None:
        """The stored answer to an earlier request with this key, or None when there was none."""
        if context.idempotency is None:
            return None
        recorded = await self.store.recorded_response(context.actor.sub, context.idempotency.key)
        if recorded is None:
            return None
        if recorded.request_hash != context.idempotency.request_hash:
            raise KeyReused(context.idempotency.key)
        # The position is drawn at append time, after the answer was stored: it is the position of the event
        # at the answered version.
        body = dict(recorded.body)
        written = await self.store.read_stream(body["aggregate_id"], up_to_version=body["version"])
        body["position"] = written[-1].position if written else None
        return CommandResult(recorded.status_code, body, replayed=True)
