"""The command API's staff directory on the real PostgreSQL store: a known name costs no query, an unknown one
reads only the events committed since the last position read, and the first read of a process pages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ticket_command.handling import CommandService, RequestContext
from ticket_eventstore.postgres import PostgresEventStore
from ticket_workflow import Actor, UnknownAssignee
from ticket_workflow.ports import StaffSeen

CUSTOMER = Actor("alice", frozenset({"customer"}))
BOB = Actor("bob", frozenset({"agent"}))


class CountingStore:
    """The real store, recording each ``staff_seen`` call: (after_position, what it answered)."""

    def __init__(self, store: PostgresEventStore) -> None:
        self.store = store
        self.calls: list[tuple[int, StaffSeen]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def staff_seen(self, after_position: int = 0, **kwargs: Any) -> StaffSeen:
        seen = await self.store.staff_seen(after_position, **kwargs)
        self.calls.append((after_position, seen))
        return seen


def context(actor: Actor) -> RequestContext:
    return RequestContext(actor, str(uuid.uuid4()))


async def new_ticket(service: CommandService) -> str:
    ticket: str = (await service.create_ticket(None, context(CUSTOMER))).body["aggregate_id"]
    return ticket


async def assign(service: CommandService, ticket: str, by: Actor, assignee: str) -> int:
    result = await service.fire("assign", ticket, {"assignee": assignee}, None, context(by))
    return int(result.body["version"])


async def test_a_check_reads_only_what_was_committed_since_the_last_one(pg_store: PostgresEventStore) -> None:
    counting = CountingStore(pg_store)
    service = CommandService(counting)  # type: ignore[arg-type]
    other = CommandService(pg_store)  # another replica on the same database
    await assign(other, await new_ticket(other), Actor("carol", frozenset({"agent"})), "carol")

    assert await assign(service, await new_ticket(service), BOB, "carol") == 2  # first miss: reads everything
    [(after, seen)] = counting.calls
    assert (after, seen.actors, seen.caught_up) == (0, {"carol"}, True)

    assert await assign(service, await new_ticket(service), BOB, "carol") == 2  # known: no query at all
    assert await assign(service, await new_ticket(service), BOB, "bob") == 2  # oneself: no query either
    assert len(counting.calls) == 1

    await assign(other, await new_ticket(other), Actor("dana", frozenset({"supervisor"})), "dana")
    ticket = await new_ticket(service)
    last = await pg_store.last_position()
    assert await assign(service, ticket, BOB, "dana") == 2
    assert [after for after, _ in counting.calls] == [0, seen.position]  # only the events after the last read
    assert (counting.calls[-1][1].actors, counting.calls[-1][1].position) == ({"dana", "bob"}, last)

    before = await pg_store.last_position()
    ticket = await new_ticket(service)
    with pytest.raises(UnknownAssignee):
        await assign(service, ticket, BOB, "nobody")
    assert counting.calls[-1][0] == last  # again from where the previous check stopped
    assert await pg_store.last_position() == before + 1  # the ticket, and no assignment


async def test_staff_this_process_wrote_for_are_known_without_a_query(pg_store: PostgresEventStore) -> None:
    counting = CountingStore(pg_store)
    service = CommandService(counting)  # type: ignore[arg-type]
    await assign(service, await new_ticket(service), Actor("erin", frozenset({"admin"})), "erin")
    await service.post_message(
        await new_ticket(service), {"body": "hi"}, internal=False, expected_version=None, context=context(CUSTOMER)
    )
    assert await assign(service, await new_ticket(service), BOB, "erin") == 2
    assert counting.calls == []
    with pytest.raises(UnknownAssignee):  # a customer who wrote is not staff
        await assign(service, await new_ticket(service), BOB, "alice")
    assert len(counting.calls) == 1


async def test_the_first_read_of_a_large_store_pages(pg_store: PostgresEventStore) -> None:
    writer = CommandService(pg_store)
    for name in ("a1", "a2", "a3", "a4", "a5"):
        await assign(writer, await new_ticket(writer), Actor(name, frozenset({"agent"})), name)
    counting = CountingStore(pg_store)
    service = CommandService(counting)  # type: ignore[arg-type]
    service.staff.page = 4  # 11 events: pages of 4, 4 and 3
    assert await assign(service, await new_ticket(writer), BOB, "a5") == 2
    assert [(after, seen.caught_up) for after, seen in counting.calls] == [(0, False), (4, False), (8, True)]
