"""One suite, every read-model adapter: PostgreSQL (its own schema) and the embedded SQLite twin."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.scenarios import T0, Ticket, busy_day, conversation_day, interleaved
from ticket_eventstore.postgres import create_pool
from ticket_eventstore.sqlite import SqliteDatabase
from ticket_readmodel.mapping import canonical
from ticket_readmodel.postgres import PostgresReadModel
from ticket_readmodel.projection import project, project_all
from ticket_readmodel.read_model import Halt, InvalidCursor, ReadModel, TicketQuery, UnknownTimeZone
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_workflow import REPLY_ADDED, Event, UnknownRole, fold


async def apply(read_model: ReadModel, events: list[Event]) -> None:
    """Project events the way the projector does: row, change, checkpoint in one transaction."""
    async with read_model.transaction() as tx:
        checkpoint = await tx.checkpoint()
        for event in events:
            assert event.position is not None and event.position > checkpoint
            await tx.save(project(event, await tx.ticket(event.stream_id)))
            checkpoint = event.position
        await tx.advance(checkpoint)


async def all_pages(read_model: ReadModel, **filters: object) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = await read_model.list_tickets(TicketQuery(cursor=cursor, **filters))  # type: ignore[arg-type]
        ids += [t.id for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids


async def found(read_model: ReadModel, text: str, **filters: object) -> set[str]:
    return set(await all_pages(read_model, text=text, **filters))


class ReadModelContract:
    """Subclasses provide the ``read_model`` fixture (migrated, empty)."""

    async def test_starts_empty(self, read_model: ReadModel) -> None:
        assert await read_model.checkpoint() == 0
        assert await read_model.ticket("nope") is None
        assert (await read_model.list_tickets(TicketQuery())).items == []
        assert await read_model.history("nope") == []
        await read_model.migrate()  # idempotent
        assert await read_model.checkpoint() == 0

    async def test_rows_history_and_checkpoint_commit_together(self, read_model: ReadModel) -> None:
        tickets = busy_day()
        events = interleaved(tickets)
        await apply(read_model, events)
        assert await read_model.checkpoint() == events[-1].position
        for t in tickets:
            stored = await read_model.ticket(t.ticket_id)
            assert stored is not None
            assert canonical(stored) == canonical(fold(t.events))  # type: ignore[arg-type]
            history = await read_model.history(t.ticket_id)
            assert [h.to_event() for h in history] == t.events
            up_to_two = await read_model.history(t.ticket_id, up_to_version=2)
            assert [h.version for h in up_to_two] == [e.version for e in t.events[:2]]

    async def test_a_failed_transaction_leaves_nothing(self, read_model: ReadModel) -> None:
        t = Ticket()
        t.create()
        with pytest.raises(RuntimeError):
            async with read_model.transaction() as tx:
                await tx.save(project(t.events[0], None))
                await tx.advance(t.events[0].position or 0)
                raise RuntimeError("crash before commit")
        assert await read_model.checkpoint() == 0
        assert await read_model.ticket(t.ticket_id) is None
        assert await read_model.history(t.ticket_id) == []

    async def test_list_filters(self, read_model: ReadModel) -> None:
        a, b, c = busy_day()
        await apply(read_model, interleaved([a, b, c]))

        async def ids(**filters: object) -> set[str]:
            return set(await all_pages(read_model, **filters))

        assert await ids() == {a.ticket_id, b.ticket_id, c.ticket_id}
        assert await ids(requester="alice") == {a.ticket_id, c.ticket_id}
        assert await ids(place="resolved") == {a.ticket_id}
        assert await ids(place="new") == {b.ticket_id, c.ticket_id}
        assert await ids(assignee="bob") == {a.ticket_id}
        assert await ids(priority="low") == {c.ticket_id}
        assert await ids(text="PRINTER") == {a.ticket_id}
        assert await ids(text="100%_") == {c.ticket_id}
        assert await ids(text="%") == {c.ticket_id}
        assert await ids(requester="alice", place="new") == {c.ticket_id}

    async def test_sorts_and_cursor_pages(self, read_model: ReadModel) -> None:
        tickets = []
        for n in range(7):
            t = Ticket(requester=f"r{n % 2}", at=T0 + timedelta(minutes=n))
            t.create(priority=["low", "normal", "high", "urgent"][n % 4])
            if n % 3 == 0:
                t.at += timedelta(hours=7 - n)
                t.fire("assign")
            tickets.append(t)
        await apply(read_model, interleaved(tickets))
        by_created = [t.ticket_id for t in tickets]
        assert await all_pages(read_model, sort="created", limit=2) == by_created
        assert await all_pages(read_model, sort="-created", limit=3) == by_created[::-1]
        updated = sorted(tickets, key=lambda t: (t.events[-1].timestamp, t.ticket_id))
        assert await all_pages(read_model, sort="updated", limit=2) == [t.ticket_id for t in updated]
        rank = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
        by_priority = sorted(tickets, key=lambda t: (rank[t.events[0].data["priority"]], t.events[0].timestamp))
        assert await all_pages(read_model, sort="-priority", limit=2) == [t.ticket_id for t in by_priority][::-1]
        assert await all_pages(read_model, sort="created", requester="r0", limit=1) == by_created[::2]

    async def test_a_cursor_belongs_to_its_sort(self, read_model: ReadModel) -> None:
        for n in range(3):
            t = Ticket(at=T0 + timedelta(minutes=n))
            t.create()
            await apply(read_model, t.events)
        page = await read_model.list_tickets(TicketQuery(sort="created", limit=1))
        assert page.next_cursor is not None
        with pytest.raises(InvalidCursor):
            await read_model.list_tickets(TicketQuery(sort="updated", cursor=page.next_cursor))
        with pytest.raises(InvalidCursor):
            await read_model.list_tickets(TicketQuery(cursor="not-a-cursor"))

    async def test_changes_after_a_position_for_everyone_or_one_requester(self, read_model: ReadModel) -> None:
        a, b, c = busy_day()
        events = interleaved([a, b, c])
        await apply(read_model, events)
        start = events[2].position or 0
        changes = await read_model.changes_after(start)
        assert [h.position for h in changes] == [e.position for e in events[3:]]
        carol = await read_model.changes_after(0, requester="carol", limit=3)
        assert [h.event_id for h in carol] == [e.id for e in b.events[:3]]

    async def test_stats(self, read_model: ReadModel) -> None:
        a, b, c = busy_day()
        await apply(read_model, interleaved([a, b, c]))
        stats = await read_model.stats()
        assert stats.by_place == {"resolved": 1, "new": 2}
        assert stats.total == 3 and stats.open_escalations == 0
        assert [(d.day.isoformat(), d.created, d.resolved) for d in stats.per_day] == [
            ("2026-03-02", 2, 2),
            ("2026-03-03", 1, 0),
        ]
        # first responses: a and b both 5 minutes after creation
        assert stats.median_first_response_seconds == 300.0
        assert stats.median_resolution_seconds == 1500.0  # only the printer is still resolved: 25 minutes
        assert [d.day.isoformat() for d in (await read_model.stats(days=1)).per_day] == ["2026-03-03"]

    async def test_content_hash_follows_content(self, read_model: ReadModel) -> None:
        empty = await read_model.content_hash()
        t = Ticket()
        t.create()
        await apply(read_model, t.events)
        assert await read_model.content_hash() != empty

    async def test_a_halt_is_recorded_until_the_checkpoint_passes_it(self, read_model: ReadModel) -> None:
        t = Ticket()
        t.create()
        t.run("assign")
        [created, assigned] = t.events
        await apply(read_model, [created])
        assert await read_model.recorded_halt() is None
        halt = Halt(
            position=assigned.position or 0,
            reason="cannot apply it",
            event_type=assigned.type,
            ticket_id=t.ticket_id,
            halted_at=datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
        )
        await read_model.record_halt(halt)
        await read_model.record_halt(halt)  # recorded again on the next halt: still one
        assert await read_model.recorded_halt() == halt
        before = await read_model.content_hash()
        await apply(read_model, [assigned])  # fixed and applied: the halt is over
        assert await read_model.recorded_halt() is None
        assert before != await read_model.content_hash()

    async def test_a_batch_written_at_once_equals_its_events_saved_one_by_one(self, read_model: ReadModel) -> None:
        tickets = busy_day()
        events = interleaved(tickets)
        await apply(read_model, events[:2])
        async with read_model.transaction() as tx:
            checkpoint = await tx.checkpoint()
            states = await tx.tickets({e.stream_id for e in events[2:]} | {"nope"})
            assert set(states) == {e.stream_id for e in events[:2]}  # only the tickets that exist
            effects = project_all(events[2:], states)
            await tx.write(effects)
            await tx.advance(effects.position)
        assert checkpoint == events[1].position and await read_model.checkpoint() == events[-1].position
        for t in tickets:
            stored = await read_model.ticket(t.ticket_id)
            assert stored is not None and canonical(stored) == canonical(fold(t.events))  # type: ignore[arg-type]
            assert [h.to_event() for h in await read_model.history(t.ticket_id)] == t.events
        stats = await read_model.stats()
        assert stats.by_place == {"resolved": 1, "new": 2}

    async def test_notes_and_the_conversation_are_stored_and_returned(self, read_model: ReadModel) -> None:
        a, b = conversation_day()
        await apply(read_model, interleaved([a, b]))
        for t in (a, b):
            expected = fold(t.events)
            assert expected is not None and expected.notes
            stored = await read_model.ticket(t.ticket_id)
            assert stored is not None and canonical(stored) == canonical(expected)
            assert stored.notes == expected.notes and stored.messages == expected.messages
            row = await read_model.ticket_row(t.ticket_id)
            assert row is not None
            assert json.loads(row["notes"]) == [m.model_dump(mode="json") for m in expected.notes]
            assert row["message_count"] == len(expected.messages)  # the public conversation only
        assert [(m.author, m.kind, m.staff) for m in (await read_model.ticket(a.ticket_id)).notes] == [  # type: ignore[union-attr]
            ("bob", "note", True),
            ("bob", "start_work", True),
        ]
        rows = {r["id"]: r for r in (await read_model.list_ticket_rows(TicketQuery())).items}
        assert json.loads(rows[b.ticket_id]["notes"])[0]["body"] == "Suspected firmware bug zq-17"
        listed = {t.id: t for t in (await read_model.list_tickets(TicketQuery())).items}
        assert listed[a.ticket_id].notes == fold(a.events).notes  # type: ignore[union-attr]

    async def test_search_matches_the_ticket_number_people_and_public_text(self, read_model: ReadModel) -> None:
        a, b = conversation_day()
        await apply(read_model, interleaved([a, b]))
        both = {a.ticket_id, b.ticket_id}
        number = a.ticket_id[:8]
        assert await found(read_model, number) == {a.ticket_id}
        assert await found(read_model, f"#{number}") == {a.ticket_id}
        assert await found(read_model, f"  #{number.upper()} ") == {a.ticket_id}
        assert await found(read_model, a.ticket_id) == {a.ticket_id}
        assert await found(read_model, a.ticket_id[9:18]) == set()  # the number matches from its start only
        assert await found(read_model, "#") == set()  # not every ticket
        assert await found(read_model, "ALIce") == {a.ticket_id}  # requester
        assert await found(read_model, "dave") == {b.ticket_id}  # assignee
        assert await found(read_model, "on fire") == {a.ticket_id}  # subject
        assert await found(read_model, "TRAY TWO") == {a.ticket_id}  # description
        assert await found(read_model, "step away") == {a.ticket_id}  # a staff reply
        assert await found(read_model, "still smoking") == {a.ticket_id}  # the customer's reply
        assert await found(read_model, "fuser") == {a.ticket_id}  # the resolution
        assert await found(read_model, "dropped again") == {b.ticket_id}  # the reopen reason
        assert await found(read_model, "on") == both  # two characters: no trigram, still a substring
        assert await found(read_model, "vp") == {b.ticket_id}
        assert await found(read_model, "tray two", requester="alice") == {a.ticket_id}
        assert await found(read_model, "tray two", requester="carol") == set()
        assert await found(read_model, "on", place="assigned") == {b.ticket_id}
        for odd in ('"', 'fire"', "NEAR(a b)", "a:b", "^on", "*", "50%", "x_y", "\\", "{subject}", "é"):
            assert await found(read_model, odd) == set()  # matched literally, never an error

    async def test_staff_only_text_matches_only_staff_searches(self, read_model: ReadModel) -> None:
        a, b = conversation_day()
        await apply(read_model, interleaved([a, b]))
        for staff_only, ticket in (
            ("vip", a.ticket_id),  # an internal note
            ("facilities informed", a.ticket_id),  # a transition's note
            ("firmware bug", b.ticket_id),  # the escalation reason
            ("gateway logs", b.ticket_id),  # a note by an admin
            ("zq", b.ticket_id),  # shorter than a trigram
        ):
            assert await found(read_model, staff_only) == set(), staff_only
            assert await found(read_model, staff_only, include_notes=True) == {ticket}, staff_only
        assert await found(read_model, "fuser", include_notes=True) == {a.ticket_id}  # public text still matches

    async def test_search_follows_the_ticket_as_it_changes(self, read_model: ReadModel) -> None:
        t = Ticket(requester="alice", agent="bob")
        t.create(subject="Laptop slow")
        t.fire("assign")
        await apply(read_model, t.events)
        assert await found(read_model, "bob") == {t.ticket_id}
        assert await found(read_model, "kernel") == set()
        more = [t.reply("Which kernel version?"), t.note("Probably the qwx driver")]
        await apply(read_model, more)
        assert await found(read_model, "kernel") == {t.ticket_id}
        assert await found(read_model, "qwx", include_notes=True) == {t.ticket_id}
        assert await found(read_model, "qwx") == set()
        await apply(read_model, [t.fire("start_work"), t.fire("resolve"), t.fire("close"), t.fire("reopen")])
        assert await found(read_model, "bob") == set()  # reopened: no assignee any more
        assert await found(read_model, "kernel") == {t.ticket_id}

    async def test_search_pages_with_the_cursor_and_other_filters(self, read_model: ReadModel) -> None:
        tickets = []
        for n in range(7):
            t = Ticket(requester=f"r{n % 2}", at=T0 + timedelta(minutes=n))
            t.create(subject=f"Keyboard {n}" if n != 3 else "Mouse", priority=["low", "high"][n % 2])
            t.note("Spare keyboards in room 4")
            tickets.append(t)
        await apply(read_model, interleaved(tickets))
        keyboards = [t.ticket_id for n, t in enumerate(tickets) if n != 3]
        assert await all_pages(read_model, text="keyboard", sort="created", limit=2) == keyboards
        assert await all_pages(read_model, text="keyboard", sort="-created", limit=4) == keyboards[::-1]
        staff = await all_pages(read_model, text="keyboard", include_notes=True, sort="created", limit=3)
        assert staff == [t.ticket_id for t in tickets]
        assert await all_pages(read_model, text="key", sort="-priority", limit=1, requester="r1") == [
            tickets[5].ticket_id,
            tickets[1].ticket_id,
        ]
        assert await all_pages(read_model, text="ke", sort="updated", limit=2, priority="low") == [
            tickets[n].ticket_id for n in (0, 2, 4, 6)
        ]

    async def test_the_staff_directory(self, read_model: ReadModel) -> None:
        a, b = conversation_day()
        intruder = Ticket(requester="mallory", agent="robot", at=T0 + timedelta(minutes=1))
        intruder.create(subject="Hello")
        # A role this net does not know, as an older definition may have recorded it: the net would refuse it now.
        intruder.raw(REPLY_ADDED, actor="robot", roles=("agent", "robot"), body="I am staff, trust me")
        events = interleaved([a, b, intruder])
        await apply(read_model, events)
        people = await read_model.people()
        assert [p.id for p in people] == ["bob", "dave", "erin", "root"]  # customers and unknown roles: never
        by_id = {p.id: p for p in people}
        bob_events = [e for e in events if e.metadata.actor == "bob"]
        assert (by_id["bob"].roles, by_id["bob"].actions) == (["agent"], len(bob_events))
        assert by_id["bob"].first_seen == bob_events[0].timestamp
        assert by_id["bob"].last_seen == bob_events[-1].timestamp
        dave = [e for e in events if e.metadata.actor == "dave"]
        assert by_id["dave"].roles == ["supervisor"]  # the roles of the latest event (agent before)
        assert (by_id["dave"].actions, by_id["dave"].first_seen, by_id["dave"].last_seen) == (
            len(dave),
            dave[0].timestamp,
            dave[-1].timestamp,
        )
        assert (by_id["root"].roles, by_id["root"].actions) == (["admin"], 1)

        async def ids(**filters: object) -> list[str]:
            return [p.id for p in await read_model.people(**filters)]  # type: ignore[arg-type]

        assert await ids(role="agent") == ["bob", "dave", "erin", "root"]  # inherited: supervisor and admin
        assert await ids(role="supervisor") == ["dave", "erin", "root"]
        assert await ids(role="admin") == ["root"]
        assert await ids(role="customer") == []
        assert await ids(prefix="E") == ["erin"]
        assert await ids(prefix="d", role="admin") == []
        assert await ids(prefix="%") == [] and await ids(prefix="_ob") == []
        assert await ids(limit=2) == ["bob", "dave"]
        with pytest.raises(UnknownRole):
            await read_model.people(role="wizard")

    async def test_the_staff_directory_in_pages(self, read_model: ReadModel) -> None:
        # Upper before lower case, and a name beyond ASCII last: the code point order, on either database.
        staff = {"Zoe": ("agent",), "amy": ("agent",), "ann": ("admin",), "anna": ("agent",), "bo": ("agent",)}
        staff |= {"Ánh": ("supervisor",), "al_x": ("agent",), "alex": ("agent",)}
        t = Ticket(requester="mallory")
        t.create(subject="Hello")
        for actor, roles in staff.items():
            t.note("Seen", actor=actor, roles=roles)
        await apply(read_model, t.events)
        everyone = sorted(staff)
        assert everyone == ["Zoe", "al_x", "alex", "amy", "ann", "anna", "bo", "Ánh"]

        async def pages(size: int, **filters: object) -> list[list[str]]:
            found: list[list[str]] = []
            after = None
            for _ in range(len(staff) + 1):  # an ``after`` that does not advance fails instead of looping
                page = [p.id for p in await read_model.people(after=after, limit=size, **filters)]  # type: ignore[arg-type]
                if not page:
                    return found
                found.append(page)
                after = page[-1]
            raise AssertionError(f"no end: {found}")

        assert await pages(3) == [everyone[0:3], everyone[3:6], everyone[6:]]
        assert [p.id for p in await read_model.people(after="amy")] == everyone[4:]
        assert [p.id for p in await read_model.people(after="b")] == ["bo", "Ánh"]  # need not be an id
        assert await pages(2, prefix="A") == [["al_x", "alex"], ["amy", "ann"], ["anna"]]
        assert await pages(1, prefix="an", role="agent") == [["ann"], ["anna"]]
        assert await pages(2, role="supervisor") == [["ann", "Ánh"]]
        assert await read_model.people(after="Ánh") == []

    async def test_days_are_counted_in_the_viewer_time_zone(self, read_model: ReadModel) -> None:
        late = Ticket(at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC), step=timedelta(minutes=80))
        late.create()  # Berlin (UTC+1): 3 March 00:30; New York (UTC-5): 2 March 18:30
        late.run("assign", "start_work", "resolve")  # resolved 3 March 03:30 UTC: 04:30 Berlin, 22:30 New York
        early = Ticket(at=datetime(2026, 3, 3, 18, 14, tzinfo=UTC))
        early.create()  # Kathmandu (UTC+5:45): 3 March 23:59
        edge = Ticket(at=datetime(2026, 3, 3, 18, 15, tzinfo=UTC))
        edge.create()  # Kathmandu: 4 March 00:00
        await apply(read_model, interleaved([late, early, edge]))

        async def days(tz: str, n: int = 30) -> list[tuple[str, int, int]]:
            per_day = (await read_model.stats(days=n, tz=tz)).per_day
            return [(d.day.isoformat(), d.created, d.resolved) for d in per_day]

        assert await days("UTC") == [("2026-03-02", 1, 0), ("2026-03-03", 2, 1)]
        assert await days("Europe/Berlin") == [("2026-03-03", 3, 1)]
        assert await days("America/New_York") == [("2026-03-02", 1, 1), ("2026-03-03", 2, 0)]
        assert await days("Asia/Kathmandu") == [("2026-03-03", 2, 1), ("2026-03-04", 1, 0)]
        assert await days("Asia/Kathmandu", 1) == [("2026-03-04", 1, 0)]
        assert (await read_model.stats()).per_day == (await read_model.stats(tz="UTC")).per_day
        for unknown in ("Mars/Olympus_Mons", "", "utc", "../etc/passwd", "Europe/Berlin\x00"):
            with pytest.raises(UnknownTimeZone):
                await read_model.stats(tz=unknown)
        assert issubclass(UnknownTimeZone, ValueError)


class TestPostgresReadModel(ReadModelContract):
    @pytest.fixture
    async def read_model(self, database_url: str) -> AsyncIterator[ReadModel]:
        pool = await create_pool(database_url, max_size=4)
        model = PostgresReadModel(pool, "read_model")
        await model.migrate()
        yield model
        await pool.close()


class TestSqliteReadModel(ReadModelContract):
    @pytest.fixture
    async def read_model(self, tmp_path: Path) -> AsyncIterator[ReadModel]:
        db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
        model = SqliteReadModel(db)
        await model.migrate()
        yield model
        await db.close()


async def test_both_adapters_hash_the_same_content_alike(database_url: str, tmp_path: Path) -> None:
    events = interleaved(busy_day() + conversation_day(T0 + timedelta(days=2)))  # dave last acts as supervisor
    pool = await create_pool(database_url, max_size=2)
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    try:
        postgres, sqlite = PostgresReadModel(pool, "read_model"), SqliteReadModel(db)
        for model in (postgres, sqlite):
            await model.migrate()
            await apply(model, events)
        assert await postgres.content_hash() == await sqlite.content_hash()
    finally:
        await pool.close()
        await db.close()


async def test_a_batch_and_one_event_at_a_time_give_the_same_read_model(database_url: str, tmp_path: Path) -> None:
    events = interleaved(busy_day() + conversation_day(T0 + timedelta(days=2)))  # dave last acts as supervisor
    pool = await create_pool(database_url, max_size=2)
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    try:
        one_by_one, batched = PostgresReadModel(pool, "read_model"), SqliteReadModel(db)
        for model in (one_by_one, batched):
            await model.migrate()
        await apply(one_by_one, events)
        async with batched.transaction() as tx:
            effects = project_all(events, await tx.tickets({e.stream_id for e in events}))
            await tx.write(effects)
            await tx.advance(effects.position)
        assert await one_by_one.content_hash() == await batched.content_hash()
    finally:
        await pool.close()
        await db.close()


async def test_the_hash_covers_notes_people_and_buckets(database_url: str, tmp_path: Path) -> None:
    events = interleaved(conversation_day())
    pool = await create_pool(database_url, max_size=2)
    db = await SqliteDatabase.open(str(tmp_path / "embedded.db"))
    try:
        postgres, sqlite = PostgresReadModel(pool, "read_model"), SqliteReadModel(db)
        for model in (postgres, sqlite):
            await model.migrate()
            await apply(model, events)
        assert await postgres.content_hash() == await sqlite.content_hash()
        changes = {
            "notes": "UPDATE {}tickets SET notes = '[]'",
            "people": "UPDATE {}people SET actions = actions + 1 WHERE id = 'erin'",
            "roles": """UPDATE {}people SET roles = '["agent"]' WHERE id = 'dave'""",
            "buckets": "UPDATE {}stats_buckets SET created = created + 1",
        }
        for name, change in changes.items():
            before = await postgres.content_hash()
            await pool.execute(change.format('"read_model".'))
            assert await postgres.content_hash() != before, name
            before = await sqlite.content_hash()
            async with db.transaction() as conn:
                await conn.execute(change.format("rm_"))
            assert await sqlite.content_hash() != before, name
    finally:
        await pool.close()
        await db.close()
