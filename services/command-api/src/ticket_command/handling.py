"""The application service: load the ticket, decide, record the events, append them, answer.

Works with any :class:`~ticket_eventstore.ports.CommandStore` (PostgreSQL, or the embedded SQLite twin). Races
are settled by the store: the append names the version the decision was made on, and a stale decision gets
:class:`~ticket_workflow.VersionConflict` (409) with nothing written, as a stale ``expected_version`` does.

Transitions, replies and notes all take the same path: replay (Idempotency-Key), load, decide, check what only
the application can check (an assignee must be known staff: :mod:`.staff`), append, answer. Each answer, a
refusal included, is counted by command and outcome, with the events appended (:mod:`.metrics`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ticket_eventstore.ports import CommandStore, IdempotencyKeyTaken, RecordedResponse
from ticket_service import tracing
from ticket_workflow import (
    EFFECTS,
    Actor,
    CreateTicket,
    EventMetadata,
    FireTransition,
    NewEvent,
    PostMessage,
    Rejection,
    TicketState,
    UnknownAssignee,
    decide,
    evolve,
    record,
)

from .idempotency import IdempotentRequest, KeyReused
from .metrics import CommandMetrics, outcome_of
from .models import TicketChange
from .staff import StaffDirectory
from .tickets import TicketStates

Command = CreateTicket | FireTransition | PostMessage


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
        store: CommandStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        cached_tickets: int = 10_000,
        metrics: CommandMetrics | None = None,
    ) -> None:
        self.store = store
        self.metrics = metrics
        self.clock = clock
        self.new_id = new_id
        self.tickets = TicketStates(store, capacity=cached_tickets)
        self.staff = StaffDirectory(store)

    async def create_ticket(self, data: dict[str, Any] | None, context: RequestContext) -> CommandResult:
        return await self._counted("create", self._create(data, context))

    async def _create(self, data: dict[str, Any] | None, context: RequestContext) -> CommandResult:
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
        return await self._on_ticket(
            transition,
            ticket_id,
            context,
            lambda at: FireTransition(
                ticket_id=ticket_id,
                transition=transition,
                actor=context.actor,
                at=at,
                data=data,
                expected_version=expected_version,
            ),
        )

    async def post_message(
        self,
        ticket_id: str,
        data: dict[str, Any],
        *,
        internal: bool,
        expected_version: int | None,
        context: RequestContext,
    ) -> CommandResult:
        """A public reply (``ReplyAdded``) or, with ``internal``, a staff-only note (``InternalNoteAdded``)."""
        return await self._on_ticket(
            "note" if internal else "reply",
            ticket_id,
            context,
            lambda at: PostMessage(
                ticket_id=ticket_id,
                actor=context.actor,
                at=at,
                data=data,
                internal=internal,
                expected_version=expected_version,
            ),
        )

    async def _on_ticket(
        self,
        name: str,
        ticket_id: str,
        context: RequestContext,
        command_at: Callable[[datetime], FireTransition | PostMessage],
    ) -> CommandResult:
        return await self._counted(name, self._loaded(ticket_id, context, command_at))

    async def _loaded(
        self, ticket_id: str, context: RequestContext, command_at: Callable[[datetime], FireTransition | PostMessage]
    ) -> CommandResult:
        """Replay a repeated request, or run the command made for this moment on the ticket."""
        if (replay := await self._replay(context)) is not None:
            return replay
        return await self._settled(context, self._decided(ticket_id, context, command_at))

    async def _decided(
        self, ticket_id: str, context: RequestContext, command_at: Callable[[datetime], FireTransition | PostMessage]
    ) -> CommandResult:
        """Decide on the ticket as this process last left it (with no read), or as the store has it when it is not
        kept here. When that is refused, the state may be behind the store (another replica, worker or request
        wrote since): load what the store has and, if the ticket moved on, decide again on it, once. Either way the
        answer is the one the ticket as it is now gives.

        An append succeeds only at the stream's current version, so a success proves the state it was decided on
        current.
        """
        state = self.tickets.cached(ticket_id) or await self.tickets.load(ticket_id)
        try:
            return await self._execute(state, command_at(self.clock()), context, status_code=200)
        except Rejection:
            current = await self.tickets.load(ticket_id)
            if _version(current) == _version(state):
                raise  # refused on the ticket as it is
        return await self._execute(current, command_at(self.clock()), context, status_code=200)

    async def _counted(self, name: str, attempt: Awaitable[CommandResult]) -> CommandResult:
        """``attempt``'s answer, counted as ``name``'s outcome: accepted, replayed, or the refusal's kind."""
        if self.metrics is None:
            return await attempt
        try:
            result = await attempt
        except (Rejection, KeyReused, IdempotencyKeyTaken) as refusal:
            self.metrics.answered(name, outcome_of(refusal))
            raise
        self.metrics.answered(name, "replayed" if result.replayed else "accepted")
        return result

    async def _settled(self, context: RequestContext, attempt: Awaitable[CommandResult]) -> CommandResult:
        """Run ``attempt``; if it is refused while a concurrent request with the same key won, answer what that
        request answered (a retry racing its original must not see the original's effect as a conflict)."""
        try:
            return await attempt
        except (Rejection, IdempotencyKeyTaken):  # a store's version conflict is a Rejection too
            replay = await self._replay(context)
            if replay is None:
                raise
            return replay

    async def _execute(
        self,
        state: TicketState | None,
        command: Command,
        context: RequestContext,
        *,
        status_code: int,
    ) -> CommandResult:
        decided = decide(state, command)
        await self._check_assignee(command, decided)
        version = state.version if state else 0
        metadata = EventMetadata(
            actor=context.actor.sub,
            roles=tuple(sorted(context.actor.roles)),
            correlation_id=context.request_id,
            causation_id=context.request_id,
            idempotency_key=context.idempotency.key if context.idempotency else None,
            traceparent=tracing.traceparent(),
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
        if self.metrics is not None:
            self.metrics.appended.inc(len(stored))
        self.tickets.remember(after)
        self.staff.saw(context.actor)
        return CommandResult(status_code, {**body, "position": stored[-1].position})

    async def _check_assignee(self, command: Command, decided: list[NewEvent]) -> None:
        """A transition that assigns (:attr:`~ticket_workflow.Effects.assigns`) may name the caller (the default)
        or a known staff member, nobody else.

        Checked after ``decide``: a caller who may not assign at all, or a ticket that cannot be assigned now,
        gets that answer first, and the directory is consulted only for a command that would otherwise pass.
        """
        if not isinstance(command, FireTransition) or (field := EFFECTS[command.transition].assigns) is None:
            return
        for new in decided:
            assignee = new.data.get(field)
            if assignee is not None and assignee != command.actor.sub and not await self.staff.knows(assignee):
                raise UnknownAssignee(assignee)

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


def _version(state: TicketState | None) -> int:
    return state.version if state is not None else 0
