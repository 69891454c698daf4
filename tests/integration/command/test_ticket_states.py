"""Ticket states kept between commands: a command on a ticket this process keeps reads nothing, one on a ticket
another replica has moved on is decided again on what the store has, and nothing stale is ever written."""

from __future__ import annotations

import asyncio
from typing import Any

from ticket_command.handling import CommandService, RequestContext
from ticket_eventstore.postgres import PostgresEventStore
from ticket_workflow import Actor, Event

CUSTOMER = Actor("alice", frozenset({"customer"}))
AGENT = Actor("bob", frozenset({"agent"}))


class CountingStore:
    """The real store, counting the events each ``read_stream`` returns."""

    def __init__(self, store: PostgresEventStore) -> None:
        self.store = store
        self.read: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def read_stream(self, stream_id: str, **kwargs: Any) -> list[Event]:
        events = await self.store.read_stream(stream_id, **kwargs)
        self.read.append(len(events))
        return events


class TogetherStore(CountingStore):
    """The first ``readers`` reads of a stream return together: their commands decide on the same version."""

    def __init__(self, store: PostgresEventStore, readers: int) -> None:
        super().__init__(store)
        self.readers = readers
        self.all_read = asyncio.Event()

    async def read_stream(self, stream_id: str, **kwargs: Any) -> list[Event]:
        events = await super().read_stream(stream_id, **kwargs)
        if len(self.read) <= self.readers:
            if len(self.read) == self.readers:
                self.all_read.set()
            async with asyncio.timeout(10):
                await self.all_read.wait()
        return events


def context(actor: Actor) -> RequestContext:
    return RequestContext(actor, "request-1")


async def test_a_command_on_a_ticket_kept_here_reads_nothing(pg_store: PostgresEventStore) -> None:
    counting = CountingStore(pg_store)
    service = CommandService(counting)  # type: ignore[arg-type]
    created = await service.create_ticket({"subject": "VPN down"}, context(CUSTOMER))
    ticket = created.body["aggregate_id"]
    for transition in ("assign", "start_work", "request_info"):
        await service.fire(transition, ticket, None, None, context(AGENT))
    for _ in range(100):  # a long history: customer replies and requests, back and forth
        await service.fire("customer_reply", ticket, None, None, context(CUSTOMER))
        await service.fire("request_info", ticket, None, None, context(AGENT))
    assert counting.read == []  # every command started from the state the previous one left; its append checked it


async def test_a_ticket_moved_on_by_another_replica_is_caught_up_before_deciding(pg_store: PostgresEventStore) -> None:
    here, there = CommandService(pg_store), CommandService(pg_store)
    ticket = (await here.create_ticket(None, context(CUSTOMER))).body["aggregate_id"]
    await here.fire("assign", ticket, None, None, context(AGENT))
    await there.fire("start_work", ticket, None, None, context(AGENT))  # `here` keeps the ticket at "assigned"
    result = await here.fire("resolve", ticket, None, None, context(AGENT))
    assert (result.body["place"], result.body["version"]) == ("resolved", 4)


async def test_a_command_decided_on_a_state_behind_the_store_is_decided_again(pg_store: PostgresEventStore) -> None:
    """Enabled on the stale state too, so the store's version check is what refuses it; nothing stale is written."""
    counting = CountingStore(pg_store)
    here, there = CommandService(counting), CommandService(pg_store)  # type: ignore[arg-type]
    ticket = (await here.create_ticket(None, context(CUSTOMER))).body["aggregate_id"]
    await here.fire("assign", ticket, None, None, context(AGENT))
    note = {"body": "checked the logs"}
    await there.post_message(ticket, note, internal=True, expected_version=None, context=context(AGENT))
    result = await here.fire("start_work", ticket, None, None, context(AGENT))  # here: still at version 2
    assert (result.body["place"], result.body["version"]) == ("in_progress", 4)
    assert counting.read == [1]  # the note, read after the append at version 2 was refused
    events = await pg_store.read_stream(ticket)
    assert [(e.version, e.type) for e in events] == [
        (1, "Created"),
        (2, "Assigned"),
        (3, "InternalNoteAdded"),
        (4, "StartWorked"),
    ]


async def test_a_race_lost_on_a_ticket_not_kept_here_is_decided_again_too(pg_store: PostgresEventStore) -> None:
    """The same answer whether or not this process keeps the ticket: both notes land, one after the other."""
    writer = CommandService(pg_store)
    ticket = (await writer.create_ticket(None, context(CUSTOMER))).body["aggregate_id"]
    await writer.fire("assign", ticket, None, None, context(AGENT))
    fresh = CommandService(TogetherStore(pg_store, readers=2))  # type: ignore[arg-type]
    notes = [
        fresh.post_message(ticket, {"body": f"note {n}"}, internal=True, expected_version=None, context=context(AGENT))
        for n in range(2)
    ]
    results = await asyncio.gather(*notes)
    assert sorted(r.body["version"] for r in results) == [3, 4]
    assert [e.type for e in await pg_store.read_stream(ticket)][2:] == ["InternalNoteAdded"] * 2


async def test_a_cold_start_folds_the_whole_history_once(pg_store: PostgresEventStore) -> None:
    writer = CommandService(pg_store)
    ticket = (await writer.create_ticket(None, context(CUSTOMER))).body["aggregate_id"]
    for transition in ("assign", "start_work", "resolve"):
        await writer.fire(transition, ticket, None, None, context(AGENT))
    counting = CountingStore(pg_store)
    restarted = CommandService(counting)  # type: ignore[arg-type]
    result = await restarted.fire("close", ticket, None, None, context(AGENT))
    await restarted.fire("reopen", ticket, None, None, context(CUSTOMER))
    assert result.body["version"] == 5
    assert counting.read == [4]  # the reopen starts from the state the close left
