"""Replies, internal notes and the staff directory of ``POST /api/assign``, through the real app with real JWTs,
on the PostgreSQL store, on its SQLite twin, and in the embedded mode of ``make run``: the same answers on all."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.command_api import SECRET, Desk, bearer, serving, settings
from ticket_command.app import create_app
from ticket_embedded.app import create_app as create_embedded_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_privacy import Privacy, SealingStore, key_encryption_key
from ticket_privacy.postgres import PostgresKeyStore
from ticket_privacy.sqlite import SqliteKeyStore
from ticket_service.auth import AuthSettings
from ticket_workflow.ports import EventStore

ANSWER_KEYS = [
    "success",
    "aggregate_id",
    "version",
    "place",
    "state",
    "enabled_transitions",
    "available_transitions",
    "position",
]


@dataclass
class Backend:
    """The store the tests read, the app under test and, where a deployment can have several, how to start one
    more command API instance on the same store."""

    store: EventStore
    app: FastAPI
    instance: Callable[[], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]] | None


@pytest.fixture(params=["postgres", "sqlite", "embedded"])
def kind(request: pytest.FixtureRequest) -> tuple[str, str | None]:
    """Which store, with a fresh migrated PostgreSQL database for "postgres" (a sync fixture: it may ask for it)."""
    return request.param, request.getfixturevalue("migrated_url") if request.param == "postgres" else None


@pytest.fixture
async def backend(kind: tuple[str, str | None], tmp_path: Path) -> AsyncIterator[Backend]:
    name, url = kind
    if url is not None:
        pool = await create_pool(url, max_size=4)
        try:
            # Each instance has its own pool, ticket cache and staff directory: another process, as far as it knows.
            def instance() -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
                return serving(create_app(settings(database_url=url)))

            store = SealingStore(PostgresEventStore(pool), Privacy(key_encryption_key(), PostgresKeyStore(pool)))
            yield Backend(store, create_app(settings(database_url=url)), instance)  # read opened: as the app does
        finally:
            await pool.close()
    elif name == "sqlite":
        db = await SqliteDatabase.open(str(tmp_path / "events.db"))
        try:
            store = await SqliteEventStore.create(db)

            def twin() -> contextlib.AbstractAsyncContextManager[httpx.AsyncClient]:
                return serving(create_app(settings(), store=store))

            yield Backend(store, create_app(settings(), store=store), twin)
        finally:
            await db.close()
    else:  # the whole system in one process on one SQLite file (`make run`): one process by design
        path = str(tmp_path / "desk.db")
        embedded = EmbeddedSettings(db_path=path, debug=False, auth=AuthSettings(secret=SECRET), frontend_dir=None)
        db = await SqliteDatabase.open(path)  # a second connection, to read what the app wrote
        try:
            store = await SqliteEventStore.create(db)
            privacy = Privacy(key_encryption_key(), await SqliteKeyStore.create(db))
            yield Backend(SealingStore(store, privacy), create_embedded_app(embedded), None)  # read opened
        finally:
            await db.close()


@pytest.fixture
async def desk(backend: Backend) -> AsyncIterator[Desk]:
    async with serving(backend.app) as client:
        yield Desk(client)


async def post(desk: Desk, ticket: str, route: str, who: dict[str, str], **body: Any) -> httpx.Response:
    return await desk.client.post(f"/api/support-ticket/{ticket}/{route}", headers=who, json=body)


async def assign(client: httpx.AsyncClient, ticket: str, who: dict[str, str], assignee: str | None) -> httpx.Response:
    data = {"data": {"assignee": assignee}} if assignee is not None else {}
    return await client.post("/api/assign", headers=who, json={"aggregate_id": ticket, **data})


async def test_a_reply_is_stored_with_its_author_and_leaves_the_marking(desk: Desk, backend: Backend) -> None:
    ticket = await desk.ticket_in("in_progress")
    before = await backend.store.read_stream(ticket)
    headers = {**desk.customer, "X-Request-ID": "reply-request-1"}
    response = await post(desk, ticket, "replies", headers, body="  It still drops every hour  ")
    assert response.status_code == 200, response.text
    answer = response.json()
    assert list(answer) == ANSWER_KEYS
    assert (answer["aggregate_id"], answer["version"], answer["place"]) == (ticket, 4, "in_progress")
    assert answer["state"]["in_progress"] == 1 and sum(answer["state"].values()) == 1
    assert answer["enabled_transitions"] == ["escalate", "request_info", "resolve"]
    assert answer["available_transitions"] == []  # the customer may fire none of them
    events = await backend.store.read_stream(ticket)
    assert events[:-1] == before
    reply = events[-1]
    assert (reply.type, reply.version, reply.position) == ("ReplyAdded", 4, answer["position"])
    assert reply.data == {
        "aggregate_id": ticket,
        "timestamp": reply.timestamp.isoformat(),
        "body": "It still drops every hour",
    }
    assert (reply.metadata.actor, reply.metadata.roles) == ("alice", ("customer",))
    assert reply.metadata.correlation_id == "reply-request-1"
    staff = await post(desk, ticket, "replies", desk.agent, body="Looking into it", expected_version=4)
    assert staff.status_code == 200, staff.text
    assert (staff.json()["version"], staff.json()["place"], staff.json()["state"]) == (
        5,
        "in_progress",
        answer["state"],
    )
    assert staff.json()["available_transitions"] == ["escalate", "request_info", "resolve"]


async def test_a_note_is_staff_only_and_allowed_on_a_closed_ticket(desk: Desk, backend: Backend) -> None:
    ticket = await desk.ticket_in("closed")
    response = await post(desk, ticket, "notes", bearer("sue", "supervisor"), body="Customer called twice")
    assert response.status_code == 200, response.text
    assert (response.json()["place"], response.json()["version"]) == ("closed", 6)
    note = (await backend.store.read_stream(ticket))[-1]
    assert (note.type, note.data["body"]) == ("InternalNoteAdded", "Customer called twice")
    assert (note.metadata.actor, note.metadata.roles) == ("sue", ("supervisor",))

    before = await backend.store.last_position()
    refused = await post(desk, ticket, "notes", desk.customer, body="let me see the notes")
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "forbidden"
    assert await backend.store.last_position() == before


async def test_a_reply_on_a_closed_ticket_is_409_and_writes_nothing(desk: Desk, backend: Backend) -> None:
    ticket = await desk.ticket_in("closed")
    before = await backend.store.last_position()
    for who in (desk.customer, desk.agent):
        refused = await post(desk, ticket, "replies", who, body="hello?")
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "ticket_closed"
        assert ticket in refused.json()["message"]
    assert await backend.store.last_position() == before
    assert (await desk.fire("reopen", ticket, desk.customer)).status_code == 200
    assert (await post(desk, ticket, "replies", desk.customer, body="hello?")).status_code == 200


@pytest.mark.parametrize("route", ["replies", "notes"])
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": 7}, "body"),
        ({"body": "a\u0000b"}, "body"),
        ({"body": "ok", "expected_version": -1}, "expected_version"),
        ({"body": "ok", "internal": True}, "internal"),
    ],
)
async def test_an_invalid_body_is_422_naming_the_field(
    desk: Desk, backend: Backend, route: str, body: dict[str, Any], field: str
) -> None:
    ticket = await desk.ticket_in("in_progress")
    before = await backend.store.last_position()
    response = await post(desk, ticket, route, desk.agent, **body)
    assert response.status_code == 422, response.text
    assert (response.json()["code"], response.json()["field"]) == ("invalid_request", field)
    assert await backend.store.last_position() == before


async def test_the_longest_body_is_accepted(desk: Desk, backend: Backend) -> None:
    ticket = await desk.ticket_in("new")
    response = await post(desk, ticket, "replies", desk.customer, body="x" * 10_000)
    assert response.status_code == 200, response.text
    assert (await backend.store.read_stream(ticket))[-1].data["body"] == "x" * 10_000


async def test_unknown_and_foreign_tickets_are_404_and_stale_versions_409(desk: Desk, backend: Backend) -> None:
    ticket = await desk.ticket_in("new")
    before = await backend.store.last_position()
    for target, who in [("no-such-ticket", desk.agent), (ticket, bearer("mallory", "customer"))]:
        for route in ("replies", "notes"):
            missing = await post(desk, target, route, who, body="hi")
            assert (missing.status_code, missing.json()["code"]) == (404, "ticket_not_found"), missing.text
    stale = await post(desk, ticket, "replies", desk.customer, body="hi", expected_version=0)
    assert (stale.status_code, stale.json()["code"]) == (409, "version_conflict")
    assert await backend.store.last_position() == before


async def test_a_retry_with_the_same_key_writes_once(desk: Desk, backend: Backend) -> None:
    ticket = await desk.ticket_in("in_progress")
    headers = {**desk.agent, "Idempotency-Key": "note-1"}
    first = await post(desk, ticket, "notes", headers, body="checked the logs")
    again = await post(desk, ticket, "notes", headers, body="checked the logs")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.content == first.content
    assert (first.headers.get("Idempotent-Replayed"), again.headers["Idempotent-Replayed"]) == (None, "true")
    assert [e.type for e in await backend.store.read_stream(ticket)][-2:] == ["StartWorked", "InternalNoteAdded"]
    before = await backend.store.last_position()
    for route, body in [("replies", "checked the logs"), ("notes", "something else")]:
        reused = await post(desk, ticket, route, headers, body=body)
        assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused"), route
    assert await backend.store.last_position() == before


async def test_an_assignee_who_never_acted_as_staff_is_refused(desk: Desk, backend: Backend) -> None:
    ticket = await desk.ticket_in("new")
    await post(desk, ticket, "replies", bearer("erin", "customer"), body="hi")  # acting as a customer is not enough
    await post(desk, ticket, "replies", desk.customer, body="hi")
    before = await backend.store.last_position()
    for name in ("erin", "alice", "nobody"):
        refused = await assign(desk.client, ticket, {**desk.agent, "Idempotency-Key": f"assign-{name}"}, name)
        assert refused.status_code == 422, refused.text
        assert (refused.json()["code"], refused.json()["field"]) == ("unknown_assignee", "data.assignee")
        assert repr(name) in refused.json()["message"]
    assert await backend.store.last_position() == before
    assert await backend.store.recorded_response("bob", "assign-erin") is None
    # Who may not assign at all learns that first, not who the staff are.
    forbidden = await assign(desk.client, ticket, desk.customer, "nobody")
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")


async def test_assigning_oneself_always_works(desk: Desk, backend: Backend) -> None:
    for who, name in [("zed", "zed"), ("yan", None)]:  # never acted before; named, or the default
        ticket = await desk.ticket_in("new")
        response = await assign(desk.client, ticket, bearer(who, "agent"), name)
        assert response.status_code == 200, response.text
        assert (await backend.store.read_stream(ticket))[-1].data["assignee"] == who


async def test_staff_who_acted_in_any_role_or_ticket_are_accepted(desk: Desk, backend: Backend) -> None:
    first, second = await desk.ticket_in("in_progress"), await desk.ticket_in("new")
    await post(desk, first, "notes", bearer("rita", "admin"), body="admin note")  # admin inherits agent
    await post(desk, first, "replies", bearer("sam", "supervisor"), body="on it")
    for name in ("rita", "sam", "bob", "root"):  # bob and root acted while bringing `first` to in_progress
        ticket = second if name == "rita" else await desk.ticket_in("new")
        response = await assign(desk.client, ticket, desk.agent, name)
        assert response.status_code == 200, (name, response.text)
        assert (await backend.store.read_stream(ticket))[-1].data["assignee"] == name


async def test_a_colleague_who_acted_through_another_instance_is_found(desk: Desk, backend: Backend) -> None:
    if backend.instance is None:
        # `make run` is one process with one directory cache: there is no second instance whose writes it could
        # miss. The PostgreSQL and SQLite backends run this test.
        pytest.skip("the embedded mode is one process by design")
    ticket = await desk.ticket_in("new")
    # This instance reads the directory now: carol is unknown.
    assert (await assign(desk.client, ticket, desk.agent, "carol")).status_code == 422
    async with backend.instance() as other:
        elsewhere = Desk(other)
        own = await elsewhere.ticket_in("new")
        assert (await assign(other, own, bearer("carol", "agent"), None)).status_code == 200
    # carol acted through another instance after this one read the directory: it catches up and finds her.
    response = await assign(desk.client, ticket, desk.agent, "carol")
    assert response.status_code == 200, response.text
    assert (await backend.store.read_stream(ticket))[-1].data["assignee"] == "carol"
