"""Live updates: ticket changes as they are projected, as Server-Sent Events, resumable by global position.

Changes come from the read model's history (polled), so the stream works whichever process projected them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from ticket_readmodel.projection import HistoryEntry
from ticket_readmodel.read_model import ReadModel
from ticket_workflow import SUPPORT_TICKET, Actor, TicketState, fold, is_staff

from .views import ticket_view

BATCH = 100


async def ticket_changes(
    read_model: ReadModel, actor: Actor, after: int, *, poll_seconds: float
) -> AsyncIterator[dict[str, Any]]:
    """SSE messages for each change after position ``after`` that ``actor`` may see, forever."""
    requester = None if is_staff(SUPPORT_TICKET, actor.roles) else actor.sub
    while True:
        # Read the checkpoint first: every change at or below it is committed and visible to the next query.
        projected = await read_model.checkpoint()
        batch = await read_model.changes_after(after, requester=requester, limit=BATCH)
        for entry in batch:
            state = await state_after(read_model, entry)
            if state is not None:
                view = ticket_view(state, actor).model_dump(mode="json")
                data = view | {"event_type": entry.type, "position": entry.position}
                yield {"event": "ticket", "id": str(entry.position), "data": json.dumps(data)}
            after = entry.position
        if len(batch) < BATCH:
            after = max(after, projected)
            await asyncio.sleep(poll_seconds)


async def state_after(read_model: ReadModel, entry: HistoryEntry) -> TicketState | None:
    """The ticket right after ``entry``: the current row when nothing happened since, else folded history."""
    current = await read_model.ticket(entry.ticket_id)
    if current is not None and current.version == entry.version:
        return current
    history = await read_model.history(entry.ticket_id, up_to_version=entry.version)
    return fold(h.to_event() for h in history)
