"""Operations reach every projector replica through the database: a replica that did not take the request
resumes after another replica's skip or retry."""

from __future__ import annotations

from typing import Any

from tests.integration.projector.conftest import Harness, eventually
from tests.integration.projector.test_admin_operations import console, fixable, poisoned, status_is
from tests.support.scenarios import Ticket
from ticket_projector.runtime import Runtime

__all__ = ["fixable"]  # the fixture, for the test below


async def _halted(runtime: Runtime) -> bool:
    return runtime.projector.halt is not None


async def _resumed(runtime: Runtime) -> bool:
    return runtime.projector.halt is None and runtime.consuming


async def test_a_second_replica_resumes_after_the_first_one_skips(harness: Harness) -> None:
    t, later = poisoned()
    stored = await harness.append([*t.events, *later.events])
    async with harness.running(supervise_seconds=0.2) as first:
        await harness.publish(stored)
        await eventually(lambda: _halted(first))
        async with harness.running(supervise_seconds=0.2, consumer_name="replica-2") as second:
            await eventually(lambda: _halted(second))  # it met the same event on its own
            async with console(harness, first) as http:
                skipped = await http.post(
                    "/api/admin/projections/tickets/skip", json={"position": stored[1].position, "reason": "garbage"}
                )
                assert skipped.status_code == 200, skipped.text
                await eventually(lambda: _resumed(first))
            await eventually(lambda: _resumed(second))  # told by the database, not by the request
            [more] = await harness.append([later.fire("assign")])
            await harness.publish([more])
            await harness.projected(more.position)


async def test_a_second_replica_retries_after_the_first_one_is_asked_to(
    harness: Harness, fixable: dict[str, Any]
) -> None:
    t = Ticket()
    t.create()
    t.run("assign")
    stored = await harness.append(t.events)
    fixable["ids"].add(stored[1].id)
    async with harness.running(supervise_seconds=0.2) as first:
        await harness.publish(stored)
        await eventually(lambda: _halted(first))
        async with harness.running(supervise_seconds=0.2, consumer_name="replica-2") as second:
            await eventually(lambda: _halted(second))
            fixable["ids"].clear()
            async with console(harness, second) as http:
                answer = await http.post("/api/admin/projections/tickets/retry")
                assert answer.status_code == 202, answer.text
                await harness.projected(stored[-1].position)
                await eventually(lambda: status_is(http, "running"))
            await eventually(lambda: _resumed(first))
            await eventually(lambda: _resumed(second))
