"""The staff directory of the write side: who may be named as a ticket's assignee.

Known staff are the users who acted on some ticket with a staff role (agent, or a role inheriting it), as the
events' metadata says. Staff are only ever added, so the set kept here is never wrong, only possibly behind: a
name it holds is accepted at no cost, and a name it lacks first makes it read the events committed since the
last position it read (``EventStore.staff_seen``, a range scan of the position index that usually finds a
handful of events). A colleague who acted a moment ago through another replica or worker is therefore found. The
first miss of a process reads the whole history once, in bounded pages.
"""

from __future__ import annotations

import asyncio

from ticket_workflow import Actor
from ticket_workflow.ports import STAFF_ROLES, STAFF_SCAN_LIMIT, EventStore


class StaffDirectory:
    def __init__(self, store: EventStore, *, page: int = STAFF_SCAN_LIMIT) -> None:
        self.store = store
        self.page = page
        self.position = 0  # every event up to here has been read
        self._known: set[str] = set()
        self._catching_up = asyncio.Lock()

    async def knows(self, user: str) -> bool:
        """Whether ``user`` has acted with a staff role on some ticket, as the store has it now."""
        if user in self._known:
            return True
        async with self._catching_up:  # one catch-up at a time; those who waited read only what came since
            if user not in self._known:
                await self._catch_up()
        return user in self._known

    def saw(self, actor: Actor) -> None:
        """``actor`` has just had an event committed: a staff member is known from now on."""
        if not STAFF_ROLES.isdisjoint(actor.roles):
            self._known.add(actor.sub)

    async def _catch_up(self) -> None:
        while True:
            seen = await self.store.staff_seen(self.position, limit=self.page)
            self._known |= seen.actors
            self.position = seen.position
            if seen.caught_up:
                return
