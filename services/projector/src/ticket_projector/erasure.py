"""Personal data in the projection: events are opened before they are projected, and an erasure
(``PersonalDataErased`` on the ``$erasure`` stream) re-projects the subject's tickets from the event store.

The re-projection reads each ticket's events up to the batch's last position, opens them (the key is destroyed:
every personal value reads as ``[erased]``) and replaces the ticket's row and history; counters stay. The row's
``last_position`` becomes at least the erasure's position, so that nothing keyed by (id, version, position), like
the query API's pre-rendered JSON, serves the text from before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ticket_readmodel.projection import Effects, project_all
from ticket_readmodel.read_model import ReadModelTransaction
from ticket_workflow import Event
from ticket_workflow.ports import EventStore
from ticket_workflow.streams import PERSONAL_DATA_ERASED, is_system_stream


class Opener(Protocol):
    """Opens sealed personal values (``ticket_privacy.Privacy``)."""

    async def open(self, events: Sequence[Event]) -> list[Event]: ...

    def forget(self, subject: str) -> None: ...


def erasures(events: Sequence[Event]) -> list[Event]:
    return [e for e in events if e.type == PERSONAL_DATA_ERASED and is_system_stream(e.stream_id)]


async def opened(opener: Opener, events: Sequence[Event]) -> list[Event]:
    """``events`` opened; the keys of subjects erased among them are read again first (destroyed by now)."""
    for erasure in erasures(events):
        opener.forget(str(erasure.data.get("subject", "")))
    return await opener.open(events)


async def reprojections(
    store: EventStore, opener: Opener, events: Sequence[Event], up_to: int
) -> dict[str, list[Effects]]:
    """For each erasure among ``events`` (by event id), its tickets as the store has them up to ``up_to``, opened.

    Read before the projection's transaction: the embedded store and read model share one connection."""
    found: dict[str, list[Effects]] = {}
    for erasure in erasures(events):
        found[erasure.id] = []
        for ticket_id in erasure.data.get("tickets", []):
            stored = [e for e in await store.read_stream(ticket_id) if (e.position or 0) <= up_to]
            if not stored:
                continue
            effects = project_all(await opener.open(stored), {})
            state, last = effects.tickets[ticket_id]
            effects.tickets[ticket_id] = (state, max(last, erasure.position or 0))
            found[erasure.id].append(effects)
    return found


async def rewrite(tx: ReadModelTransaction, projected: Sequence[Event], found: dict[str, list[Effects]]) -> None:
    """Replace the rows of the tickets each erasure among the ``projected`` system events names."""
    for erasure in erasures(projected):
        for effects in found.get(erasure.id, []):
            await tx.rewrite(effects)
