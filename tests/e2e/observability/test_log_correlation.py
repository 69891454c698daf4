"""One request id finds a command's whole journey: sent as ``X-Request-ID``, it is the correlation id in the event's
metadata, and the relay's and the projector's log lines for that event carry it (real processes, JSON logs)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx

from tests.conftest import RedisNamespace
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_service.auth import mint_token
from ticket_workflow import Event

from .chain import SECRET, json_lines, wait_for_line, write_path


async def stored_events(database_url: str) -> list[Event]:
    pool = await create_pool(database_url, max_size=1)
    try:
        return await PostgresEventStore(pool).read_all(0)
    finally:
        await pool.close()


def test_the_request_id_is_in_the_event_and_in_the_relay_and_projector_lines(
    database_url: str, redis_namespace: RedisNamespace, tmp_path: Path
) -> None:
    request_id = f"journey-{uuid.uuid4()}"
    token = mint_token(SECRET, "alice", ["customer"])
    with write_path(database_url, redis_namespace, tmp_path) as chain:
        created = httpx.post(
            f"{chain.command.url}/api/support-ticket",
            json={"subject": "Printer on fire"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id},
            timeout=10,
        )
        assert created.status_code == 201, created.text
        assert created.headers["x-request-id"] == request_id
        position = created.json()["position"]

        [event] = [e for e in asyncio.run(stored_events(database_url)) if e.position == position]
        assert event.metadata.correlation_id == request_id
        assert event.metadata.traceparent is None  # tracing is off here

        def carries(line: dict[str, object]) -> bool:
            first, last, ids = line.get("first_position"), line.get("last_position"), line.get("correlation_ids")
            return (
                isinstance(first, int)
                and isinstance(last, int)
                and first <= position <= last
                and isinstance(ids, list)
                and request_id in ids
            )

        projected = wait_for_line(chain.projector, carries)
        assert projected["logger"] == "ticket_projector.batches" and projected["count"] >= 1
        assert projected["correlation_count"] >= 1 and isinstance(projected["seconds"], float)
        relayed = wait_for_line(chain.command, carries)
        assert relayed["logger"] == "ticket_command.relay"

        [request_line] = [
            line
            for line in json_lines(chain.command)
            if line.get("logger") == "ticket.access" and line.get("request_id") == request_id
        ]
        assert request_line["route"] == "/api/support-ticket" and request_line["status"] == 201
        assert request_line["actor"] == "alice" and request_line["method"] == "POST"
    for process in (chain.command, chain.projector):
        assert token not in process.output()
