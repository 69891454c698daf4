"""``GET /health`` (the process answers) and ``GET /ready`` (it can take commands, and the relay runs)."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ticket_eventstore import migrations
from ticket_eventstore.relay import Relay
from ticket_workflow.ports import EventStore

from .runtime import ReadinessCheck, runtime_of

router = APIRouter(tags=["health"])
CHECK_TIMEOUT = 3.0


@router.get("/health", summary="The process is alive", responses={503: {"description": "A background task died"}})
async def health(request: Request) -> JSONResponse:
    """Liveness: 503 once a background task this process needs (the relay) has ended, so that the orchestrator
    restarts it; a replica whose relay died would otherwise stay in service and never publish again."""
    runtime = getattr(request.app.state, "commands", None)
    checks = runtime.checks.values() if runtime is not None else ()
    dead = [repr(name) for check in checks if (name := getattr(check, "dead_task", lambda: None)()) is not None]
    if dead:
        message = f"background task ended: {', '.join(dead)}"
        return JSONResponse({"status": "dead", "code": "not_alive", "message": message}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/ready", summary="Ready to take commands", responses={503: {"description": "Not ready"}})
async def ready(request: Request) -> JSONResponse:
    results = {name: await _run(check) for name, check in runtime_of(request).checks.items()}
    ok = bool(results) and all(passed for passed, _ in results.values())
    body: dict[str, Any] = {
        "success": ok,
        "status": "ready" if ok else "not_ready",
        "checks": {name: detail for name, (_, detail) in results.items()},
    }
    if not ok:
        body |= {"code": "not_ready", "message": "; ".join(n for n, (p, _) in results.items() if not p) or "starting"}
    return JSONResponse(body, status_code=200 if ok else 503)


async def _run(check: ReadinessCheck) -> tuple[bool, Any]:
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT)
    except Exception as exc:
        return False, {"error": repr(exc)}


def postgres_check(pool: asyncpg.Pool) -> ReadinessCheck:
    async def check() -> tuple[bool, Any]:
        async with pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        return True, "ok"

    return check


def migrations_check(pool: asyncpg.Pool) -> ReadinessCheck:
    async def check() -> tuple[bool, Any]:
        async with pool.acquire() as conn:
            pending = await migrations.pending(conn, migrations.EVENT_STORE, migrations.event_store_migrations())
        if pending:
            return False, {"pending": [f"{m.version:03d}_{m.name}" for m in pending]}
        return True, "ok"

    return check


def store_check(store: EventStore) -> ReadinessCheck:
    async def check() -> tuple[bool, Any]:
        return True, {"last_position": await store.last_position()}

    return check


def relay_check(relay: Relay, task: asyncio.Task[None]) -> ReadinessCheck:
    """Healthy while the relay task runs, as leader or standby. A leader retrying because Redis is down is
    still healthy (commands are accepted and will be published); its ``last_error`` and ``lag`` say so."""

    async def check() -> tuple[bool, Any]:
        return (relay.status.running and not task.done()), relay.status.as_dict()

    def dead_task() -> str | None:
        """The task's name once it has ended on its own (cancelled at shutdown does not count)."""
        return task.get_name() if task.done() and not task.cancelled() else None

    check.dead_task = dead_task  # type: ignore[attr-defined]
    return check
