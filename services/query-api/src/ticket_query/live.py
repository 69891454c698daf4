"""Live updates: ticket changes as they are projected, as Server-Sent Events, resumable by global position.

Changes come from the read model's history, so the stream works whichever process projected them. An idle
stream waits on the process's :class:`~ticket_query.checkpoints.CheckpointWatch` and costs the database nothing;
when the checkpoint moves, the streams that were at the same position share one fetch of what changed.

Each message is the ticket right after the change, as the caller may read it (:func:`ticket_view`), with the
event's type and position. A customer gets no message at all for an event that
:func:`ticket_workflow.visibility.visible_event_data` hides whole (an internal note): a message without text
would still say that staff wrote about the ticket, and when. The ticket's next public change carries its
current version, as a read of the ticket does.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from typing import Any

from ticket_readmodel.projection import HistoryEntry
from ticket_readmodel.read_model import ReadModel
from ticket_service.errors import ApiError
from ticket_workflow import SUPPORT_TICKET, Actor, TicketState, fold, is_staff
from ticket_workflow.visibility import sees_everything, visible_event_data

from .checkpoints import CheckpointWatch
from .views import ticket_view

BATCH = 100
# A position as the stream sends it; 18 digits always fit PostgreSQL's bigint.
EVENT_ID = re.compile(r"[0-9]{1,18}")
Changes = list[tuple[HistoryEntry, TicketState | None]]


class ChangeFeed:
    """What changed after a position, fetched once for every stream asking for the same range and audience."""

    def __init__(self, read_model: Callable[[], ReadModel], *, keep: int = 32) -> None:
        self._model = read_model
        self._keep = keep
        self.clients = 0  # live streams reading from it now (``ticket_live_clients``)
        self._recent: OrderedDict[tuple[int, int, str | None], asyncio.Future[tuple[Changes, int]]] = OrderedDict()

    async def after(self, position: int, projected: int, requester: str | None) -> tuple[Changes, int]:
        """The changes after ``position`` (only tickets of ``requester`` when given), with the ticket right after
        each, and the position the caller has now seen everything up to."""
        key = (position, projected, requester)
        fetch = self._recent.get(key)
        if fetch is None:
            fetch = asyncio.ensure_future(self._fetch(position, projected, requester))
            fetch.add_done_callback(lambda done: self._forget_failed(key, done))
            self._recent[key] = fetch
            while len(self._recent) > self._keep:
                self._recent.popitem(last=False)
        # Shielded: a client leaving must not cancel the fetch the other streams wait for.
        return await asyncio.shield(fetch)

    async def _fetch(self, position: int, projected: int, requester: str | None) -> tuple[Changes, int]:
        read_model = self._model()
        batch = await read_model.changes_after(position, requester=requester, limit=BATCH)
        changes = [(entry, await state_after(read_model, entry)) for entry in batch]
        if len(batch) == BATCH:
            return changes, batch[-1].position  # more to come: the caller asks again at once
        # Everything at or below ``projected`` is committed, so a short batch covers all of it.
        return changes, max(projected, batch[-1].position if batch else 0)

    def _forget_failed(self, key: tuple[int, int, str | None], done: asyncio.Future[Any]) -> None:
        if (done.cancelled() or done.exception() is not None) and self._recent.get(key) is done:
            del self._recent[key]


def resume_position(last_event_id: str | None) -> int | None:
    """The position a ``Last-Event-ID`` resumes after; None when absent or empty (start at the checkpoint)."""
    if not last_event_id:
        return None
    if EVENT_ID.fullmatch(last_event_id) is None:
        raise ApiError(
            422, "invalid_request", "Last-Event-ID: must be a position, 1 to 18 ASCII digits", "Last-Event-ID"
        )
    return int(last_event_id)


async def ticket_changes(
    feed: ChangeFeed,
    watch: CheckpointWatch,
    actor: Actor,
    after: int,
    *,
    until: float | None = None,
    clock: Callable[[], float] = time.time,
) -> AsyncIterator[dict[str, Any]]:
    """SSE messages for each change after position ``after`` that ``actor`` may see, until the epoch time
    ``until`` (the caller's token expiry), or forever."""
    requester = None if is_staff(SUPPORT_TICKET, actor.roles) else actor.sub
    everything = sees_everything(actor.roles)
    feed.clients += 1
    try:
        while True:
            remaining = None if until is None else until - clock()
            if remaining is not None and remaining <= 0:
                return
            projected = await watch.wait_for(after + 1, remaining)
            if projected <= after:
                continue  # the wait ended at the deadline
            changes, after = await feed.after(after, projected, requester)
            for entry, state in changes:
                if state is None or not (everything or visible_event_data(entry.type, entry.data) is not None):
                    continue
                view = ticket_view(state, actor).model_dump(mode="json")
                data = view | {"event_type": entry.type, "position": entry.position}
                yield {"event": "ticket", "id": str(entry.position), "data": json.dumps(data)}
    finally:
        feed.clients -= 1


async def state_after(read_model: ReadModel, entry: HistoryEntry) -> TicketState | None:
    """The ticket right after ``entry``: the current row when nothing happened since, else folded history."""
    current = await read_model.ticket(entry.ticket_id)
    if current is not None and current.version == entry.version:
        return current
    history = await read_model.history(entry.ticket_id, up_to_version=entry.version)
    return fold(h.to_event() for h in history)
