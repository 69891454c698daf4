"""The operator's console on real PostgreSQL and Redis: status, retry after a fix, skip (kept across restarts and
rebuilds), rebuild with progress, through the admin API of a projector replica."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import httpx
import pytest

from tests.integration.projector.conftest import Harness, eventually
from tests.support.scenarios import Ticket
from ticket_eventstore.relay.settings import RELAY_LOCK
from ticket_projector import projector as projector_module
from ticket_projector.app import create_app
from ticket_projector.rebuild import rebuild
from ticket_projector.rebuilds import INTERRUPTED, rebuild_lock
from ticket_projector.runtime import Runtime
from ticket_projector.sla_stream import PostgresSlaTimer
from ticket_readmodel.alerts import Alert
from ticket_readmodel.alerts_postgres import PostgresAlertLog
from ticket_readmodel.operations import RebuildProgress
from ticket_readmodel.projection import ProjectionError, project_all
from ticket_service.auth import AuthSettings, mint_token

SECRET = "admin-operations-test-secret-0123456789abcdef"
SECOND = timedelta(seconds=1)
ADMIN = "root-operator"


def bearer(sub: str = ADMIN, role: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role])}"}


@contextlib.asynccontextmanager
async def console(
    harness: Harness, runtime: Runtime, timer: PostgresSlaTimer | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """The admin API of the replica ``runtime`` (an app on the harness's settings, with a JWT secret), whose
    service-level timer is ``timer`` (the app's own, never started, when None)."""
    app = create_app(harness.settings.model_copy(update={"auth": AuthSettings(secret=SECRET)}))
    app.state.runtime = runtime
    if timer is not None:
        app.state.sla_timer = timer.timer
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://projector", headers=bearer()) as http:
        yield http


async def projection(http: httpx.AsyncClient) -> dict[str, Any]:
    answer = await http.get("/api/admin/system")
    assert answer.status_code == 200, answer.text
    [found] = answer.json()["projections"]
    return dict(found)


async def status_is(http: httpx.AsyncClient, status: str) -> bool:
    return bool((await projection(http))["status"] == status)


def poisoned() -> tuple[Ticket, Ticket]:
    """A ticket whose second event the projection refuses (closing a new ticket), and a sound one after it."""
    t, later = Ticket(), Ticket()
    t.create()
    t.raw("Closeed")
    later.create()
    return t, later


@pytest.fixture
def fixable(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A projection bug an operator can fix: events whose id is in ``broken["ids"]`` fail to apply."""
    broken: dict[str, Any] = {"ids": set()}

    def buggy(events: Any, states: Any) -> Any:
        events = list(events)
        for event in events:
            if event.id in broken["ids"]:
                raise ProjectionError(event, "simulated bug in the projection")
        return project_all(events, states)

    monkeypatch.setattr(projector_module, "project_all", buggy)
    yield broken


async def test_status_reports_the_store_the_relay_the_group_and_the_projection(harness: Harness) -> None:
    t = Ticket()
    t.create()
    t.run("assign", "start_work")
    stored = await harness.append(t.events)
    async with harness.running() as runtime, console(harness, runtime) as http:
        await harness.publish(stored)
        await harness.projected(stored[-1].position)
        await eventually(lambda: status_is(http, "running"))
        body = (await http.get("/api/admin/system")).json()
        relay_conn = await harness.pool.acquire()
        try:
            await relay_conn.execute("SELECT pg_advisory_lock($1)", RELAY_LOCK)  # a relay leads
            led = (await http.get("/api/admin/system")).json()["relay"]["leader"]
        finally:
            await relay_conn.execute("SELECT pg_advisory_unlock($1)", RELAY_LOCK)
            await harness.pool.release(relay_conn)
    last = stored[-1].position
    assert body["success"] is True and body["store_position"] == last and body["generated_at"]
    assert body["relay"] == {
        "stream": harness.settings.event_stream,
        "leader": False,
        "published_position": last,
        "behind_positions": 0,
        "behind_seconds": 0.0,
    }
    assert led is True
    group = body["consumer_group"]
    assert group["name"] == harness.settings.projector_group and group["pending"] == 0 and group["consumers"] >= 1
    [p] = body["projections"]
    assert p == {
        "name": "tickets",
        "status": "running",
        "checkpoint": last,
        "behind_positions": 0,
        "behind_seconds": 0.0,
        "halt": None,
        "rebuild": None,
        "skipped": [],
    }

    timer = body["sla_timer"]
    assert (timer["leader"], timer["leading_here"], timer["last_round_at"], timer["last_error"]) == (
        False,
        False,
        None,
        None,
    )
    assert timer["stream"] == harness.settings.sla_alert_stream
    assert (timer["unpublished"], timer["last_raised"], timer["last_published"]) == (0, None, None)


async def test_status_shows_which_replica_raises_the_alerts_and_the_outbox_it_publishes(harness: Harness) -> None:
    log = PostgresAlertLog(harness.pool, harness.settings.read_model_schema)
    due = datetime.now(UTC) - timedelta(minutes=5)

    def alert(ticket: str, kind: Literal["warning", "breached"], raised: int) -> Alert:
        return Alert(ticket, "resolution", kind, due, due - timedelta(minutes=30), due, "high", due + raised * SECOND)

    # Raised earlier: the first published, the second not (its leader died in between).
    [published] = await log.record([alert("t-1", "warning", 1)])
    await log.mark_published([published.id], due + 2 * SECOND)
    [pending] = await log.record([alert("t-2", "breached", 3)])
    settings = {"sla_timer_seconds": 0.1, "sla_alert_stream": harness.settings.event_stream + ":sla-alerts"}
    harness.settings = harness.settings.model_copy(update=settings)
    standby = PostgresSlaTimer(harness.settings)  # never started: it runs no rounds
    async with harness.running() as runtime:
        async with console(harness, runtime, standby) as http:
            before = (await http.get("/api/admin/system")).json()["sla_timer"]
        leading = PostgresSlaTimer(harness.settings)
        await leading.start()
        try:
            async with console(harness, runtime, leading) as http, console(harness, runtime, standby) as other:
                await eventually(lambda: _timer_is(http, unpublished=0, leading_here=True))
                after = (await http.get("/api/admin/system")).json()["sla_timer"]
                seen_elsewhere = (await other.get("/api/admin/system")).json()["sla_timer"]
        finally:
            await leading.stop()
    assert before | {"last_raised": None, "last_published": None} == {
        "leader": False,
        "leading_here": False,
        "last_round_at": None,
        "last_error": None,
        "stream": harness.settings.sla_alert_stream,
        "unpublished": 1,
        "last_raised": None,
        "last_published": None,
    }
    assert times(before["last_raised"]) == times(pending.as_json() | {"published_at": None})
    assert times(before["last_published"]) == times(published.as_json() | {"published_at": due + 2 * SECOND})
    assert after["leader"] is True and after["last_error"] is None and after["last_round_at"] is not None
    assert after["last_raised"]["id"] == after["last_published"]["id"] == pending.id
    assert after["last_published"]["type"] == "ServiceLevelBreached" and after["last_published"]["published_at"]
    assert (seen_elsewhere["leader"], seen_elsewhere["leading_here"]) == (True, False)
    assert seen_elsewhere["last_round_at"] is None and seen_elsewhere["unpublished"] == 0


def times(alert: dict[str, Any]) -> dict[str, Any]:
    """An alert of the status with its times as datetimes (whichever way they were written)."""
    return {
        key: datetime.fromisoformat(value) if key.endswith("_at") and isinstance(value, str) else value
        for key, value in alert.items()
    }


async def _timer_is(http: httpx.AsyncClient, **expected: object) -> bool:
    timer = (await http.get("/api/admin/system")).json()["sla_timer"]
    return all(timer[key] == value for key, value in expected.items())


async def test_a_halt_shows_the_failing_event_read_from_the_store_and_the_lag(harness: Harness) -> None:
    t, later = poisoned()
    stored = await harness.append([*t.events, *later.events])
    async with harness.running() as runtime, console(harness, runtime) as http:
        await harness.publish(stored[:2])  # the relay is behind: the last event is not published yet
        await eventually(lambda: status_is(http, "halted"))
        body = (await http.get("/api/admin/system")).json()
    [p] = body["projections"]
    poison = stored[1]
    assert (p["checkpoint"], p["behind_positions"]) == (stored[0].position, 2)
    assert p["behind_seconds"] > 0  # the poison event was stored long ago (the scenario's clock)
    halt = p["halt"]
    assert (halt["position"], halt["event_type"], halt["ticket_id"]) == (poison.position, "Closeed", t.ticket_id)
    assert halt["reason"] and halt["halted_at"]
    assert halt["event"]["id"] == poison.id and halt["event"]["position"] == poison.position
    assert halt["event"]["type"] == "Closeed" and halt["event"]["stream_id"] == t.ticket_id
    assert halt["event"]["data"]["aggregate_id"] == t.ticket_id and halt["event"]["metadata"]["actor"] == "bob"
    assert body["relay"]["published_position"] == poison.position and body["relay"]["behind_positions"] == 1
    assert body["relay"]["behind_seconds"] > 0


async def test_retry_halts_again_while_the_cause_is_there_and_moves_on_once_fixed(
    harness: Harness, fixable: dict[str, Any]
) -> None:
    t = Ticket()
    t.create()
    t.run("assign", "start_work")
    stored = await harness.append(t.events)
    fixable["ids"].add(stored[1].id)
    async with harness.running(supervise_seconds=30) as runtime, console(harness, runtime) as http:
        await harness.publish(stored)
        await eventually(lambda: status_is(http, "halted"))
        first = (await projection(http))["halt"]["halted_at"]

        again = await http.post("/api/admin/projections/tickets/retry")
        assert again.status_code == 202, again.text
        assert again.json()["success"] is True and again.json()["projection"]["name"] == "tickets"
        await eventually(lambda: _halted_after(http, first))  # tried again at once (not after 30 s), failed again
        assert (await projection(http))["halt"]["position"] == stored[1].position

        fixable["ids"].clear()  # the operator deploys the fix
        fixed = await http.post("/api/admin/projections/tickets/retry")
        assert fixed.status_code == 202, fixed.text
        await harness.projected(stored[-1].position)
        await eventually(lambda: status_is(http, "running"))
        assert (await projection(http))["halt"] is None
    state = await harness.read_model.ticket(t.ticket_id)
    assert state is not None and state.place == t.place


async def _halted_after(http: httpx.AsyncClient, moment: str) -> bool:
    halt = (await projection(http))["halt"]
    return halt is not None and halt["halted_at"] > moment


async def test_a_skip_is_recorded_passed_over_and_kept_across_restarts_and_rebuilds(harness: Harness) -> None:
    t, later = poisoned()
    stored = await harness.append([*t.events, *later.events])
    poison = stored[1]
    async with harness.running() as runtime, console(harness, runtime) as http:
        await harness.publish(stored)
        await eventually(lambda: status_is(http, "halted"))
        answer = await http.post(
            "/api/admin/projections/tickets/skip", json={"position": poison.position, "reason": "  bad import  "}
        )
        assert answer.status_code == 200, answer.text
        [skip] = answer.json()["projection"]["skipped"]
        await harness.projected(stored[-1].position)
        await eventually(lambda: status_is(http, "running"))
    assert skip["position"] == poison.position and skip["event_id"] == poison.id
    assert (skip["event_type"], skip["ticket_id"]) == ("Closeed", t.ticket_id)
    assert (skip["actor"], skip["reason"]) == (ADMIN, "bad import") and skip["skipped_at"]
    assert await harness.read_model.ticket(later.ticket_id) is not None
    assert [e.version for e in await harness.read_model.history(t.ticket_id)] == [1]  # the skipped event is not there
    incremental = await harness.read_model.content_hash()

    # A restart does not halt on it again, and a rebuild passes over it and keeps the record.
    [more] = await harness.append([later.fire("assign")])
    async with harness.running() as restarted, console(harness, restarted) as http:
        await harness.publish([more])
        await harness.projected(more.position)
        report = await rebuild(harness.pool, harness.store, harness.settings.read_model_schema, page_size=2)
        after = await projection(http)
    assert report.checkpoint == more.position
    assert after["status"] == "running" and after["halt"] is None and after["checkpoint"] == more.position
    assert [s["position"] for s in after["skipped"]] == [poison.position]
    [kept] = await harness.read_model.operations().skips()
    assert kept.actor == ADMIN and kept.reason == "bad import"
    assert [e.version for e in await harness.read_model.history(t.ticket_id)] == [1]
    assert incremental != await harness.read_model.content_hash()  # the later assignment is in it now
    assert await harness.read_model.operations().skipped_positions() == {poison.position}


async def test_refusals_name_what_is_wrong(harness: Harness) -> None:
    t, later = poisoned()
    stored = await harness.append([*t.events, *later.events])
    async with harness.running() as runtime, console(harness, runtime) as http:
        nothing = await http.post("/api/admin/projections/tickets/retry")
        assert (nothing.status_code, nothing.json()["code"]) == (409, "not_halted")
        not_yet = await http.post("/api/admin/projections/tickets/skip", json={"position": 1, "reason": "why not"})
        assert (not_yet.status_code, not_yet.json()["code"]) == (409, "not_halted")

        await harness.publish(stored)
        await eventually(lambda: status_is(http, "halted"))
        stale = await http.post(
            "/api/admin/projections/tickets/skip", json={"position": stored[2].position, "reason": "stale page"}
        )
        assert (stale.status_code, stale.json()["code"]) == (409, "position_mismatch"), stale.text
        assert stale.json()["halt_position"] == stored[1].position
        bodies: list[Any] = [
            {"position": stored[1].position},
            {"position": stored[1].position, "reason": "no"},
            {"position": stored[1].position, "reason": "x" * 501},
            {"position": str(stored[1].position), "reason": "a string"},
            {"position": 0, "reason": "zero"},
            {"position": stored[1].position, "reason": "fine", "force": True},
            [],
        ]
        for body in bodies:
            bad = await http.post("/api/admin/projections/tickets/skip", json=body)
            assert (bad.status_code, bad.json()["code"], bad.json()["success"]) == (422, "validation_error", False)
        garbage = await http.post("/api/admin/projections/tickets/skip", content=b"{nope")
        assert (garbage.status_code, garbage.json()["code"]) == (422, "validation_error")
        for action in ("retry", "skip", "rebuild"):
            unknown = await http.post(f"/api/admin/projections/orders/{action}", json={"position": 2, "reason": "abc"})
            assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
        assert (await projection(http))["status"] == "halted"  # nothing above changed anything


async def test_a_rebuild_runs_in_the_background_with_progress_one_at_a_time(harness: Harness) -> None:
    tickets = [Ticket(requester=f"c{n}") for n in range(6)]
    for t in tickets:
        t.create()
        t.run("assign")
    stored = await harness.append([e for t in tickets for e in t.events])
    last = stored[-1].position or 0
    async with harness.running() as runtime, console(harness, runtime) as http:
        await harness.publish(stored)
        await harness.projected(last)
        before = await harness.read_model.content_hash()

        # Another process (a CLI, another replica) rebuilds: refused here, and shown as running.
        elsewhere = await harness.pool.acquire()
        try:
            key = rebuild_lock(harness.settings.read_model_schema)
            assert await elsewhere.fetchval("SELECT pg_try_advisory_lock($1)", key)
            await harness.read_model.operations().save_rebuild_progress(_progress("running", 3, last))
            busy = await http.post("/api/admin/projections/tickets/rebuild")
            shown = await projection(http)
        finally:
            await elsewhere.execute("SELECT pg_advisory_unlock($1)", key)
            await harness.pool.release(elsewhere)
        assert (busy.status_code, busy.json()["code"]) == (409, "rebuild_running")
        assert shown["status"] == "rebuilding" and shown["rebuild"]["done"] == 3
        gone = (await projection(http))["rebuild"]  # its process died: the lock went with it
        assert (gone["state"], gone["error"]) == ("failed", INTERRUPTED)

        started = await http.post("/api/admin/projections/tickets/rebuild")
        assert started.status_code == 202, started.text
        rebuilding = started.json()["projection"]["rebuild"]
        assert (rebuilding["state"], rebuilding["actor"], rebuilding["total"]) == ("running", ADMIN, last)
        await eventually(lambda: _rebuild_state(http, "finished"))
        done = (await projection(http))["rebuild"]
    assert (done["done"], done["total"], done["error"]) == (last, last, None) and done["finished_at"]
    assert await harness.read_model.content_hash() == before

    pages: list[tuple[int, int]] = []

    async def record(done: int, total: int) -> None:
        pages.append((done, total))

    await rebuild(harness.pool, harness.store, harness.settings.read_model_schema, page_size=4, progress=record)
    assert pages[0] == (0, last) and pages[-1] == (last, last)
    assert [d for d, _ in pages] == sorted(d for d, _ in pages) and len(pages) >= last // 4


async def _rebuild_state(http: httpx.AsyncClient, state: str) -> bool:
    rebuild = (await projection(http))["rebuild"]
    return rebuild is not None and rebuild["state"] == state


def _progress(state: Literal["running", "finished", "failed"], done: int, total: int) -> RebuildProgress:
    return RebuildProgress(state=state, done=done, total=total, actor="elsewhere", started_at=datetime.now(UTC))
