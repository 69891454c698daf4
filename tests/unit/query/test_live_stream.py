"""The live stream over HTTP: keep-alive comments on an idle stream, resuming after Last-Event-ID, and the same
authorization as every other route (customers get only their own tickets)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from tests.support.asgi import read_stream
from tests.support.scenarios import busy_day, interleaved
from ticket_projector.projector import Projector
from ticket_query.app import create_app
from ticket_query.settings import QuerySettings
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings, mint_token
from ticket_workflow import Event

SECRET = "unit-test-secret-unit-test-secret"


def app_on(read_model: SqliteReadModel, leeway: int = 30) -> Any:
    settings = QuerySettings(
        auth=AuthSettings(secret=SECRET, leeway_seconds=leeway), stream_poll_seconds=0.01, stream_keepalive_seconds=0.05
    )
    return create_app(settings, read_model=read_model)


def ids_in(body: str) -> list[int]:
    return [int(line[3:].strip()) for line in body.splitlines() if line.startswith("id:")]


async def test_an_idle_stream_gets_keep_alive_comments(read_model: SqliteReadModel) -> None:
    token = mint_token(SECRET, "bob", ["agent"])
    status, body = await read_stream(
        app_on(read_model),
        f"access_token={token}",
        {},
        lambda text: any(line.startswith(":") for line in text.splitlines()),
    )
    assert status == 200
    assert any(line.startswith(":") for line in body.splitlines())  # an SSE comment: ignored by clients
    assert "event:" not in body


async def test_the_stream_resumes_after_last_event_id_with_the_callers_tickets_only(
    read_model: SqliteReadModel,
) -> None:
    tickets = busy_day()
    events: list[Event] = interleaved(tickets)
    await Projector(read_model).apply(events)
    carol = [e for e in events if e.stream_id == tickets[1].ticket_id]
    resume_after = carol[1].position or 0
    expected = [e.position for e in carol[2:]]
    headers = {
        "Authorization": f"Bearer {mint_token(SECRET, 'carol', ['customer'])}",
        "Last-Event-ID": str(resume_after),
    }
    status, body = await read_stream(app_on(read_model), "", headers, lambda text: len(ids_in(text)) >= len(expected))
    assert status == 200
    assert ids_in(body) == expected


async def test_the_stream_refuses_a_missing_or_bad_token(read_model: SqliteReadModel) -> None:
    app = app_on(read_model)
    status, body = await read_stream(app, "", {}, lambda _: False)
    assert status == 401 and '"missing_token"' in body
    status, body = await read_stream(app, "access_token=not-a-jwt", {}, lambda _: False)
    assert status == 401 and '"success":false' in body.replace(" ", "")


async def test_the_stream_ends_when_its_token_expires(read_model: SqliteReadModel) -> None:
    """The token's ``exp`` plus the leeway: a client reconnects with a fresh token and its Last-Event-ID."""
    token = mint_token(SECRET, "bob", ["agent"], ttl_seconds=2)
    started = time.monotonic()
    async with asyncio.timeout(10):
        status, body = await read_stream(app_on(read_model, leeway=1), f"access_token={token}", {}, lambda _: False)
    assert status == 200 and body.startswith(":")  # keep-alive comments until then
    # It ended by itself (the timeout above fails the test otherwise), and not before the token's expiry: the
    # lower bound is behaviour (2 s of validity), not a measure of speed.
    assert time.monotonic() - started >= 1


@pytest.mark.parametrize("last_event_id", [b"\xb2", "9" * 31, "-1", " 1 2", "1.5", "0x10", "\u0661", "1" * 19])
async def test_a_last_event_id_that_is_no_position_is_refused(
    read_model: SqliteReadModel, last_event_id: str | bytes
) -> None:
    headers = {"Authorization": f"Bearer {mint_token(SECRET, 'bob', ['agent'])}", "Last-Event-ID": last_event_id}
    status, body = await read_stream(app_on(read_model), "", headers, lambda _: False)
    assert status == 422, body
    answer = json.loads(body)
    assert (answer["code"], answer["field"]) == ("invalid_request", "Last-Event-ID")


async def test_the_largest_last_event_id_resumes_after_everything(read_model: SqliteReadModel) -> None:
    headers = {"Authorization": f"Bearer {mint_token(SECRET, 'bob', ['agent'])}", "Last-Event-ID": "9" * 18}
    status, body = await read_stream(app_on(read_model), "", headers, lambda text: text.startswith(":"))
    assert status == 200 and "event:" not in body
