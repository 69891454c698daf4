"""The dispatcher's core against a real receiver: signed deliveries read from the event store, nothing sent again
after a restart once recorded, and private addresses refused at delivery time too."""

from __future__ import annotations

import asyncio

import pytest
from standardwebhooks.webhooks import Webhook

from .conftest import Core, Receiver, eventually, running

pytestmark = pytest.mark.integration

SECRET = "whsec_" + "A" * 44


async def test_events_are_delivered_signed_and_a_restart_sends_nothing_already_recorded(
    core: Core, receiver: Receiver
) -> None:
    endpoint = await core.endpoint(receiver.url)
    stored = await core.append(("t-a", 3), ("t-b", 2))
    dispatcher = core.dispatcher()
    assert await dispatcher.catch_up() == 0  # the first start begins after the store's last event
    async with core.pool.acquire() as conn:
        await conn.execute("UPDATE webhooks.checkpoints SET position = 0")
    assert await dispatcher.catch_up() == 5
    async with running(dispatcher):

        async def recorded() -> bool:  # received is not enough: the outcome must be recorded before stopping
            log = await core.endpoints.deliveries(endpoint, 50)
            return len(log) == 5 and all(d["status"] == "delivered" for d in log)

        await eventually(recorded)
    payloads = [Webhook(SECRET).verify(body, headers) for _, headers, body in receiver.received]
    assert sorted((p["data"]["ticket_id"], p["data"]["version"]) for p in payloads) == sorted(
        (e.stream_id, e.version) for e in stored
    )
    for ticket in ("t-a", "t-b"):
        versions = [p["data"]["version"] for p in payloads if p["data"]["ticket_id"] == ticket]
        assert versions == sorted(versions)
    again = core.dispatcher()
    async with running(again):
        assert await again.catch_up() == 0
        await asyncio.sleep(0.5)  # a few of its rounds: nothing is due
    assert len(receiver.received) == 5
    log = await core.endpoints.deliveries(endpoint, 50)
    assert {(d["status"], d["attempts"], d["http_status"]) for d in log} == {("delivered", 1, 204)}


async def test_a_private_address_is_refused_when_sending_too(core: Core, receiver: Receiver) -> None:
    endpoint = await core.endpoint(receiver.url)  # registered while allowed, or resolving elsewhere then
    await core.append(("t-a", 1))
    async with core.pool.acquire() as conn:
        await conn.execute("INSERT INTO webhooks.checkpoints (source, position) VALUES ('events', 0)")
    dispatcher = core.dispatcher(allow_private=False, schedule=())
    await dispatcher.catch_up()
    async with running(dispatcher):

        async def failed() -> bool:
            return [d["status"] for d in await core.endpoints.deliveries(endpoint, 5)] == ["failed"]

        await eventually(failed)
    (delivery,) = await core.endpoints.deliveries(endpoint, 5)
    assert delivery["http_status"] is None and "loopback" in delivery["response_excerpt"]
    assert receiver.received == []
