"""Export and erasure of a data subject's personal data (the requester of tickets).

The export opens everything the event store holds about the subject: their tickets (folded from the opened
events) and the events themselves. The erasure destroys the subject's key (every value it sealed reads as
``[erased]`` from then on), scrubs the recorded Idempotency-Key answers about their tickets, and records
``PersonalDataErased`` {subject, reason, tickets} on the ``$erasure`` stream, with the actor and the time in the
envelope; the projector then re-projects those tickets. Erasing again answers the first record, unless the subject
gave new data since (a new key), which is then erased too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ticket_privacy import SealingStore
from ticket_workflow import Event, EventMetadata, VersionConflict, fold
from ticket_workflow.streams import ERASURE_STREAM, PERSONAL_DATA_ERASED

from .handling import RequestContext
from .idempotency import scrubbed
from .tickets import TicketStates


class Erasures:
    def __init__(
        self,
        store: SealingStore,
        tickets: TicketStates | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.keys = store.privacy.store()
        self.tickets = tickets
        self.clock = clock

    async def export(self, subject: str) -> dict[str, Any]:
        self.store.privacy.forget(subject)  # the keys as stored now (another replica may have erased them)
        tickets, events = [], []
        for ticket_id in await self.keys.tickets_of(subject):
            opened = await self.store.read_stream(ticket_id)
            state = fold(opened)
            if state is not None:
                tickets.append(state.model_dump(mode="json"))
            events += [event.model_dump(mode="json") for event in opened]
        erasures = [event.model_dump(mode="json") for event in await self._erasures(subject)]
        keys = await self.keys.subject_keys(subject)
        return {
            "success": True,
            "subject": subject,
            "exported_at": self.clock().isoformat(),
            "tickets": tickets,
            "events": events,
            "erasures": erasures,
            "erased": any(key.destroyed for key in keys),
        }

    async def erase(self, subject: str, reason: str, context: RequestContext) -> dict[str, Any]:
        earlier = await self._erasures(subject)
        if earlier and await self.keys.active_key(subject) is None:
            return _answer(earlier[0])
        ticket_ids = await self.keys.tickets_of(subject)
        await self.store.privacy.erase(subject)
        await self.keys.scrub_responses(ticket_ids, scrubbed)
        if self.tickets is not None:
            self.tickets.forget(ticket_ids)
        metadata = EventMetadata(
            actor=context.actor.sub,
            roles=tuple(sorted(context.actor.roles)),
            correlation_id=context.request_id,
            causation_id=context.request_id,
        )
        data = {"subject": subject, "reason": reason, "tickets": ticket_ids}
        for _ in range(5):  # another erasure may take the stream's next version first
            version = len(await self.store.read_stream(ERASURE_STREAM))
            event = Event(
                id=str(uuid.uuid4()),
                stream_id=ERASURE_STREAM,
                type=PERSONAL_DATA_ERASED,
                version=version + 1,
                timestamp=self.clock(),
                data=data,
                metadata=metadata,
            )
            try:
                stored = await self.store.append(ERASURE_STREAM, version, [event])
            except VersionConflict:
                continue
            return _answer(stored[0])
        raise VersionConflict(0, stream_id=ERASURE_STREAM)

    async def _erasures(self, subject: str) -> list[Event]:
        return [
            e
            for e in await self.store.read_stream(ERASURE_STREAM)
            if e.type == PERSONAL_DATA_ERASED and e.data.get("subject") == subject
        ]


def _answer(event: Event) -> dict[str, Any]:
    return {
        "success": True,
        "subject": event.data["subject"],
        "erased_at": event.timestamp.isoformat(),
        "erased_by": event.metadata.actor,
        "tickets": len(event.data.get("tickets", [])),
        "position": event.position,
    }
