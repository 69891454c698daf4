"""A poison event halts the projector visibly; a rebuild from the store equals incremental projection."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
import pytest

from tests.integration.projector.conftest import Harness, eventually
from tests.support.scenarios import Ticket, busy_day, interleaved
from ticket_projector.app import create_app
from ticket_projector.rebuild import rebuild
from ticket_readmodel.read_model import TicketQuery


async def test_a_poison_event_halts_the_projector_and_is_reported(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    t, later = Ticket(), Ticket()
    t.create()
    t.raw("Closeed")  # a ticket in "new" cannot be closed: the projection refuses it
    later.create()
    caplog.set_level(logging.ERROR, logger="ticket_projector")
    async with harness.running() as runtime:
        await eventually(lambda: _consuming(runtime))
        stored = await harness.append([*t.events, *later.events])
        poison = stored[1]
        await harness.publish(stored)
        await eventually(lambda: _halted(runtime))
        app = create_app(harness.settings)
        app.state.runtime = runtime
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://projector") as http:
            ready = await http.get("/ready")
            assert (await http.get("/health")).status_code == 200
        assert await harness.pending() >= 2  # the poison entry and everything after it stay unacknowledged
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "halted"
    assert body["poison_event"]["position"] == poison.position
    assert body["poison_event"]["event_type"] == "Closeed"
    assert body["checkpoint"] == stored[0].position and body["lag"] == 2
    assert await harness.read_model.ticket(later.ticket_id) is None  # nothing after the poison event
    assert any(f"position {poison.position}" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")


async def test_a_halt_is_still_reported_after_a_restart_before_the_event_is_retried(harness: Harness) -> None:
    t = Ticket()
    t.create()
    t.raw("Closeed")
    stored = await harness.append(t.events)
    poison = stored[1]
    async with harness.running() as runtime:
        await harness.publish(stored)
        await eventually(lambda: _recorded(harness))
    # Restarted, and slow to retry the event: /ready says at once where the projection stopped and why.
    async with harness.running(retry_delay_seconds=3600) as restarted:
        app = create_app(harness.settings)
        app.state.runtime = restarted
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://projector") as http:
            ready = await http.get("/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert (body["success"], body["code"], body["status"], body["retrying"]) == (
        False,
        "projection_halted",
        "halted",
        True,
    )
    assert body["poison_event"]["position"] == poison.position
    assert body["poison_event"]["event_type"] == "Closeed"
    assert f"position {poison.position}" in body["message"]
    assert runtime.projector.halt is not None


async def test_rebuild_equals_incremental_and_readers_never_notice(harness: Harness) -> None:
    tickets = busy_day()
    for n in range(20):
        t = Ticket(requester=f"c{n}")
        t.create(subject=f"Ticket {n}")
        t.run(*["assign", "start_work", "escalate", "resolve_escalated", "close"][: n % 6])
        tickets.append(t)
    stored = await harness.append(interleaved(tickets))
    async with harness.running():
        await harness.publish(stored)
        await harness.projected(stored[-1].position)
        incremental = await harness.read_model.content_hash()

        failures: list[BaseException] = []
        reads = 0

        async def read_all_the_time() -> None:
            nonlocal reads
            while True:
                try:
                    page = await harness.read_model.list_tickets(TicketQuery(limit=100))
                    assert len(page.items) == len(tickets)
                    assert await harness.read_model.ticket(tickets[0].ticket_id) is not None
                    reads += 1
                except AssertionError as exc:
                    failures.append(exc)
                except Exception as exc:
                    failures.append(exc)
                await asyncio.sleep(0)

        reader = asyncio.create_task(read_all_the_time())
        await eventually(lambda: _positive(reads))
        report = await rebuild(harness.pool, harness.store, harness.settings.read_model_schema, batch_size=7)
        seen = reads
        await eventually(lambda: _more(lambda: reads, seen))
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        assert failures == []
        assert report.checkpoint == stored[-1].position
        assert report.content_hash == incremental == await harness.read_model.content_hash()

        # The live projector carries on in the swapped-in tables.
        [more] = await harness.append(
            [tickets[-1].fire("reopen") if tickets[-1].events[-1].type == "Closeed" else Ticket().create()]
        )
        await harness.publish([more])
        await harness.projected(more.position)
    assert await harness.read_model.checkpoint() == more.position


async def _recorded(harness: Harness) -> bool:
    return await harness.read_model.recorded_halt() is not None


async def _halted(runtime: object) -> bool:
    return runtime.projector.halt is not None


async def _consuming(runtime: object) -> bool:
    return bool(runtime.consuming)


async def _positive(n: int) -> bool:
    return n > 0


async def _more(count: object, than: int) -> bool:
    return bool(count() > than)  # type: ignore[operator]
