"""The figures of our services, measured over HTTP in one throwaway database with one fresh stream.

In order: a warm-up, the read ceiling (``/health``), a create burst and the drain after it, transitions on the
tickets it created, reads, a command on a long ticket, the database load of idle live-update clients with the
services' memory; then, with the services stopped, a rebuild of the log grown to ``REBUILD_EVENTS``.
"""

from __future__ import annotations

import asyncio
import json
import math
import statistics
import sys
import time
from pathlib import Path

import asyncpg
import httpx
from harness import group_rss_mb, throwaway_database, transactions
from our_stack import SERVICES, Stack, idle_streams, running_stack, store_position, ticket_ids, wait_drained
from references import CREATE_BODY, WARM_UP_SECONDS
from session import Run, say

BIN = Path(sys.executable).parent
LIST_TICKETS = 3000  # the list figure needs at least this many tickets in the read model
IDLE_CLIENTS = 200
REBUILD_EVENTS = 100_000  # the replayed log's length (half with --quick)
LONG_HISTORY = 1000  # events on the ticket whose command cost is compared with a new ticket's
SAMPLED_COMMANDS = 200
# PostgreSQL 15 flushes a backend's counters to pg_stat_database up to 10 s after it went idle, so the
# transaction count of a window only holds what happened in it once the load before has been quiet that long.
STATS_SETTLE_SECONDS = 11.0


async def ours(run: Run) -> None:
    args = run.args
    async with throwaway_database(args.server, "ours") as url:
        async with running_stack(run.children, url, args.redis, args.command_workers) as s:
            await run.attempt("warm-up", lambda: warm_up(run, s))
            await run.attempt("query-api /health (the read ceiling)", lambda: health(run, s))
            await run.attempt("create burst, then drain", lambda: creates(run, s))
            await run.attempt("transitions on distinct tickets", lambda: transitions(run, s))
            await run.attempt("reads", lambda: reads(run, s))
            await run.attempt(f"a command on a ticket with {LONG_HISTORY:,} events", lambda: long_history(run, s))
            await run.attempt(f"database load of {IDLE_CLIENTS} idle live-update clients, memory", lambda: idle(run, s))
            for name in SERVICES:
                code = run.children.running[name].poll()
                if code is not None:  # a figure measured after this is not of the whole stack
                    run.failures.append(f"{name} exited with {code} during the run (see bench/results/logs/{name}.log)")
            env = s.env
        # With the services stopped, so that the replay has the machine to itself as an operator's would.
        await run.attempt("rebuild", lambda: rebuild(run, url, env))


async def warm_up(run: Run, stack: Stack) -> None:
    """Every service past its first requests: a few creates (projected too), gets and lists."""
    create_url = stack.url("command-api") + "/api/support-ticket"
    await run.load.wrk(create_url, seconds=WARM_UP_SECONDS, method="POST", body=CREATE_BODY, token=stack.customer)
    await wait_drained(stack)
    path = run.children.logs / "warm-up.txt"
    path.write_text("\n".join(await ticket_ids(stack.database_url)) + "\n")
    query, agent, seconds = stack.url("query-api"), stack.agent, WARM_UP_SECONDS
    await run.load.wrk(query, seconds=seconds, script="per_ticket", mode="get", ids=str(path), token=agent)
    await run.load.wrk(query + "/api/support-ticket?limit=50", seconds=seconds, token=agent)
    await run.load.wrk(query + "/health", seconds=seconds)


async def health(run: Run, stack: Stack) -> None:
    run.record("health", await run.load.wrk(stack.url("query-api") + "/health"))


async def creates(run: Run, stack: Stack) -> None:
    create_url = stack.url("command-api") + "/api/support-ticket"
    result = await run.load.wrk(create_url, method="POST", body=CREATE_BODY, token=stack.customer)
    run.record("create", result)
    drained = await wait_drained(stack)
    run.figures["drain_s"] = drained
    say(f"  drained {'after ' + format(drained, '.2f') + ' s' if drained is not None else 'NOT within 60 s'}")
    missing = LIST_TICKETS - len(await ticket_ids(stack.database_url))
    if missing > 0:  # a short run creates fewer tickets than the list figure needs
        seconds = min(120, math.ceil(missing / max(result.rate, 25)) + 1)
        say(f"  creating {missing:,}+ more tickets for the list figure ({seconds} s)")
        await run.load.wrk(create_url, seconds=seconds, method="POST", body=CREATE_BODY, token=stack.customer)
        await wait_drained(stack)


async def transitions(run: Run, stack: Stack) -> None:
    ids = await ticket_ids(stack.database_url)
    path = run.children.logs / "tickets.txt"
    path.write_text("\n".join(ids) + "\n")
    say(f"  {len(ids):,} tickets to assign, each once")
    result = await run.load.wrk(
        stack.url("command-api"), script="per_ticket", mode="assign", ids=str(path), token=stack.agent
    )
    run.record("assign", result)
    if result.requests >= len(ids):
        say("  every ticket was assigned before the time was up: the rate is over a shorter window")
    await wait_drained(stack)


async def reads(run: Run, stack: Stack) -> None:
    ids = str(run.children.logs / "tickets.txt")
    query = stack.url("query-api")
    run.record("get", await run.load.wrk(query, script="per_ticket", mode="get", ids=ids, token=stack.agent))
    run.tickets = len(await ticket_ids(stack.database_url))
    run.record("list", await run.load.wrk(query + "/api/support-ticket?limit=50", token=stack.agent))


async def long_history(run: Run, stack: Stack) -> None:
    """p50 of one command at a time on a ticket with ``LONG_HISTORY`` events and on a new ticket.

    A customer and an agent take turns (request info, customer reply), each turn two events, so both tickets
    stay in ``in_progress``/``pending_customer`` and every command is a real transition.
    """
    customer, agent = stack.customer, stack.agent
    command = stack.url("command-api")
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:

        async def post(path: str, token: str, body: dict[str, object]) -> dict[str, object]:
            answer = await client.post(command + path, json=body, headers={"Authorization": f"Bearer {token}"})
            answer.raise_for_status()
            reply: dict[str, object] = answer.json()
            return reply

        async def new_ticket() -> str:
            ticket = str((await post("/api/support-ticket", customer, {"subject": "history"}))["aggregate_id"])
            for transition in ("assign", "start_work"):
                await post(f"/api/{transition}", agent, {"aggregate_id": ticket})
            return ticket

        async def turns(ticket: str, count: int) -> list[float]:
            took = []
            for _ in range(count // 2):
                for transition, token in (("request_info", agent), ("customer_reply", customer)):
                    began = time.perf_counter()
                    await post(f"/api/{transition}", token, {"aggregate_id": ticket})
                    took.append((time.perf_counter() - began) * 1000)
            return took

        long_ticket = await new_ticket()
        await turns(long_ticket, LONG_HISTORY - 3)
        sampled_long = await turns(long_ticket, SAMPLED_COMMANDS)
        sampled_new = await turns(await new_ticket(), SAMPLED_COMMANDS)
    run.figures["long_history_p50"] = long_p50 = statistics.median(sampled_long)
    run.figures["new_ticket_p50"] = new_p50 = statistics.median(sampled_new)
    say(f"  p50 {long_p50:.2f} ms at {LONG_HISTORY:,}+ events, {new_p50:.2f} ms on a new ticket")


async def idle(run: Run, stack: Stack) -> None:
    window = max(5.0, run.args.seconds)
    await asyncio.sleep(STATS_SETTLE_SECONDS)
    run.figures["quiet_tx"] = quiet = await transactions_per_second(stack.database_url, window)
    say(f"  no clients: {quiet:.1f} tx/s")
    async with idle_streams(stack.url("query-api"), stack.agent, IDLE_CLIENTS) as opened:
        await asyncio.sleep(2)  # every stream reaches its idle polling; busy backends flush their counters every 1 s
        run.figures["idle_tx"] = busy = await transactions_per_second(stack.database_url, window)
        say(f"  {opened} idle clients: {busy:.1f} tx/s")
        readings = []
        for name in SERVICES:  # after all the load, with the clients still connected
            rss, processes = group_rss_mb(stack.pids[name])
            run.figures[f"rss_{name}"] = rss
            several = f" ({processes} processes)" if processes > 1 else ""
            readings.append(f"{name} {rss or float('nan'):.0f} MB{several}")
        say("  RSS: " + ", ".join(readings))


async def transactions_per_second(database_url: str, seconds: float) -> float:
    before, began = await transactions(database_url), time.monotonic()
    await asyncio.sleep(seconds)
    return (await transactions(database_url) - before) / (time.monotonic() - began)


async def rebuild(run: Run, database_url: str, env: dict[str, str]) -> None:
    """``ticket-projector rebuild`` of a log of at least ``REBUILD_EVENTS`` (the run's tickets, copied under new
    ids), timed as a process, less a process start (timed with ``migrate``)."""
    wanted = REBUILD_EVENTS // (2 if run.args.quick else 1)
    copies = await grow_log(database_url, wanted)
    say(f"  the log: the run's events and {copies} copies of them under new ticket ids")
    projector = str(BIN / "ticket-projector")
    began = time.monotonic()
    await run.children.run("projector-start", [projector, "migrate"], env)
    start = time.monotonic() - began
    began = time.monotonic()
    output = await run.children.run("rebuild", [projector, "rebuild"], env)
    elapsed = time.monotonic() - began
    report = json.loads(output.strip().splitlines()[-1])
    run.events = report.get("checkpoint") or await store_position(database_url)
    run.figures["rebuild_rate"] = run.events / max(elapsed - start, 1e-3)
    say(f"  rebuilt {run.events:,} events in {elapsed:.2f} s ({start:.2f} s of it a process start)")


async def grow_log(database_url: str, wanted: int) -> int:
    """Copies of every ticket's events under new ticket ids until the log holds ``wanted`` events."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        have: int = await conn.fetchval("SELECT count(*) FROM events")
        copies = max(0, math.ceil(wanted / max(have, 1)) - 1)
        if copies:
            await conn.execute(GROW, copies, await conn.fetchval("SELECT max(position) FROM events"))
        return copies
    finally:
        await conn.close()


GROW = """
INSERT INTO events (position, event_id, stream_id, version, type, data, metadata, occurred_at)
SELECT nextval('events_position_seq'), gen_random_uuid(), e.stream_id || '.' || k, e.version, e.type,
       -- a sealed personal value is bound to its event id: a copy holds plain text in its place
       (SELECT jsonb_object_agg(key, CASE WHEN value ? '$enc' THEN '"copied text"'::jsonb ELSE value END)
          FROM jsonb_each(jsonb_set(e.data, '{aggregate_id}', to_jsonb(e.stream_id || '.' || k)))),
       e.metadata, e.occurred_at
  FROM events e CROSS JOIN generate_series(1, $1::int) AS k
 WHERE e.position <= $2
 ORDER BY k, e.position
"""
