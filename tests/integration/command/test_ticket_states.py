"""Ticket states kept between commands: a command reads only what its ticket gained since, and never decides on
a state another replica has moved on."""

from __future__ import annotations

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


def context(actor: Actor) -> RequestContext:
    return RequestContext(actor, "request-1")


async def test_a_command_reads_only_the_events_its_ticket_gained_since(pg_store: PostgresEventStore) -> None:
    counting = CountingStore(pg_store)
    service = CommandService(counting)  # type: ignore[arg-type]
    created = await service.create_ticket({"subject": "VPN down"}, context(CUSTOMER))
    ticket = created.body["aggregate_id"]
    for transition in ("assign", "start_work", "request_info"):
        await service.fire(transition, ticket, None, None, context(AGENT))
    for _ in range(100):  # a long history: customer replies and requests, back and forth
        await service.fire("customer_reply", ticket, None, None, context(CUSTOMER))
        await service.fire("request_info", ticket, None, None, context(AGENT))
    assert set(counting.read) == {0}  # every command started from the state the previous one left


async def test_a_ticket_moved_on_by_another_replica_is_caught_up_before_deciding(pg_store: PostgresEventStore) -> None:
    here, there = CommandService(pg_store), CommandService(pg_store)
    ticket = (await here.create_ticket(None, context(CUSTOMER))).body["aggregate_id"]
    await here.fire("assign", ticket, None, None, context(AGENT))
    await there.fire("start_work", ticket, None, None, context(AGENT))  # `here` keeps the ticket at "assigned"
    result = await here.fire("resolve", ticket, None, None, context(AGENT))
    assert (result.body["place"], result.body["version"]) == ("resolved", 4)


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
    assert counting.read == [4, 0]
