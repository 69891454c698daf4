"""``ticket-projector status | retry | skip | rebuild`` as an operator runs them: processes of their own against
the database and Redis a running replica uses, which acts on what they did."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from tests.integration.projector.conftest import Harness, eventually
from tests.integration.projector.test_admin_operations import fixable, poisoned
from tests.support.scenarios import Ticket
from ticket_projector.runtime import Runtime

__all__ = ["fixable"]

BIN = Path(sys.executable).parent


async def cli(harness: Harness, *args: str) -> tuple[int, str, str]:
    s = harness.settings
    env = {
        **os.environ,
        "DATABASE_URL": s.database_url,
        "REDIS_URL": s.redis_url,
        "EVENT_STREAM": s.event_stream,
        "PROJECTOR_GROUP": s.projector_group,
        "READ_MODEL_SCHEMA": s.read_model_schema,
        "LOG_LEVEL": "warning",
    }
    process = await asyncio.create_subprocess_exec(
        str(BIN / "ticket-projector"), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(120):
        out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def status(harness: Harness) -> dict[str, Any]:
    code, out, err = await cli(harness, "status", "--json")
    assert code == 0, err
    [projection] = json.loads(out)["projections"]
    return dict(projection)


async def _running(runtime: Runtime) -> bool:
    return runtime.projector.halt is None and runtime.consuming


async def test_status_shows_a_halt_and_skip_from_the_cli_resumes_the_running_replica(harness: Harness) -> None:
    t, later = poisoned()
    stored = await harness.append([*t.events, *later.events])
    poison = stored[1]
    assert poison.position is not None
    async with harness.running(supervise_seconds=0.2) as runtime:
        await harness.publish(stored)
        await eventually(lambda: _halted(runtime))
        halted = await status(harness)
        code, table, _ = await cli(harness, "status")
        assert code == 0 and f"halted at {poison.position}: Closeed of ticket {t.ticket_id}" in table
        assert "consumer group" in table and "relay" in table
        assert "sla timer        support-ticket.sla-alerts: NO LEADER, 0 raised not published" in table

        code, _, err = await cli(harness, "skip", "--position", str(poison.position + 1), "--reason", "wrong one")
        assert code == 1 and "position_mismatch" in err
        code, out, err = await cli(
            harness, "skip", "--position", str(poison.position), "--reason", "imported twice", "--actor", "carol"
        )
        assert code == 0, err
        assert "skipped" in out
        await harness.projected(stored[-1].position)
        await eventually(lambda: _running(runtime))
        after = await status(harness)
    assert halted["status"] == "halted" and halted["halt"]["position"] == poison.position
    assert halted["halt"]["event"]["id"] == poison.id
    assert after["status"] == "running" and after["halt"] is None
    [skip] = after["skipped"]
    assert (skip["position"], skip["actor"], skip["reason"]) == (poison.position, "carol", "imported twice")


async def test_retry_from_the_cli_and_a_rebuild_with_its_report(harness: Harness, fixable: dict[str, Any]) -> None:
    t = Ticket()
    t.create()
    t.run("assign", "start_work")
    fixable["ids"].add(t.events[1].id)
    async with harness.running(supervise_seconds=0.2) as runtime:
        code, _, err = await cli(harness, "retry")
        assert code == 1 and "not_halted" in err
        stored = await harness.append(t.events)
        await harness.publish(stored)
        await eventually(lambda: _halted(runtime))
        fixable["ids"].clear()
        code, out, err = await cli(harness, "retry")
        assert code == 0, err
        await harness.projected(stored[-1].position)
        await eventually(lambda: _running(runtime))

        code, out, err = await cli(harness, "rebuild", "--json", "--content-hash")
        assert code == 0, err
        report = json.loads(out.strip().splitlines()[-1])
        after = await status(harness)
    assert report["checkpoint"] == stored[-1].position and report["content_hash"]
    rebuild = after["rebuild"]
    assert (rebuild["state"], rebuild["done"], rebuild["total"]) == (
        "finished",
        stored[-1].position,
        stored[-1].position,
    )
    assert rebuild["actor"] == getpass.getuser()
    assert after["status"] == "running"


async def _halted(runtime: Runtime) -> bool:
    return runtime.projector.halt is not None
