"""Current ticket states kept in memory, so that a command's cost does not grow with its ticket's history.

A cached state is what this process last wrote or read, never ahead of the store, possibly behind it (another
replica or worker wrote since). A command is first decided on it without reading anything: the append is
conditional on the stream's version, so an append that succeeds proves the cached state was the ticket's current
one. When the decision or the append is refused, the command service decides again on :meth:`TicketStates.load`,
which reads the events recorded after the cached version (one indexed query). Nothing stale is ever written.
"""

from __future__ import annotations

from collections import OrderedDict

from ticket_workflow import TicketState, evolve
from ticket_workflow.ports import EventStore


class TicketStates:
    def __init__(self, store: EventStore, *, capacity: int = 10_000) -> None:
        self.store = store
        self.capacity = capacity
        self._states: OrderedDict[str, TicketState] = OrderedDict()

    def cached(self, ticket_id: str) -> TicketState | None:
        """The ticket as this process last saw it (None: not kept here), with no read: possibly behind the store."""
        state = self._states.get(ticket_id)
        if state is not None:
            self._states.move_to_end(ticket_id)
        return state

    async def load(self, ticket_id: str) -> TicketState | None:
        """The ticket as the store has it now (None when it does not exist)."""
        state = self._states.get(ticket_id)
        for event in await self.store.read_stream(ticket_id, after_version=state.version if state else 0):
            state = evolve(state, event)
        if state is not None:
            self.remember(state)
        return state

    def forget(self, ticket_ids: list[str]) -> None:
        """Drop these tickets (their personal data was erased): the next load reads them anew."""
        for ticket_id in ticket_ids:
            self._states.pop(ticket_id, None)

    def remember(self, state: TicketState) -> None:
        """Keep ``state`` (just written, or just loaded); the least recently used ticket makes room."""
        self._states[state.id] = state
        self._states.move_to_end(state.id)
        while len(self._states) > self.capacity:
            self._states.popitem(last=False)
