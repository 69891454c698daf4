"""The framework's ceiling: a bare FastAPI + asyncpg app that appends one event row per POST, and nothing else.

No authentication, no workflow, no version check, no lock, no relay: the same HTTP server (uvicorn with uvloop and
httptools), the same JSON parsing and one INSERT of the event store's row shape per request. ``make bench``
compares the command API with it.

    BARE_DATABASE_URL=postgresql://... .venv/bin/uvicorn bench.bare_app:app --loop uvloop --http httptools
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
from fastapi import FastAPI, Request
from fastapi.telemetry import TelemetryConfig
from pydantic import BaseModel

POOL_SIZE = 10  # the command API's default (DB_POOL_MAX_SIZE)
INSERT = """
INSERT INTO events (position, event_id, stream_id, version, type, data, metadata, occurred_at)
VALUES (nextval('events_position_seq'), $1, $2, 1, 'Created', $3::jsonb, $4::jsonb, $5)
RETURNING position
"""


class NewTicket(BaseModel):
    subject: str
    priority: str = "normal"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(os.environ["BARE_DATABASE_URL"], min_size=POOL_SIZE, max_size=POOL_SIZE)
    try:
        yield
    finally:
        await app.state.pool.close()


# FastAPI's own OpenTelemetry off, as in our services: the least the request needs.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
app = FastAPI(lifespan=lifespan, telemetry=NO_TELEMETRY)


@app.post("/events", status_code=201)
async def append(ticket: NewTicket, request: Request) -> dict[str, object]:
    stream_id = str(uuid.uuid4())
    data = json.dumps(ticket.model_dump() | {"requester": "alice"})
    metadata = json.dumps({"actor": "alice", "roles": ["customer"]})
    position = await request.app.state.pool.fetchval(INSERT, uuid.uuid4(), stream_id, data, metadata, datetime.now(UTC))
    return {"aggregate_id": stream_id, "version": 1, "position": position}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}
