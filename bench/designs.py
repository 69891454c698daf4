"""The commit-ordering designs the append benchmark compares, each behind the same two calls.

    await store.append(stream_id, expected_version, events)   the write path of a command
    await store.read_after(conn, cursor) -> (readable ids, committed-but-held-back ids, cursor)
                                               a reader resuming from what it saw last

All designs use the shipped schema (sequence, unique (stream_id, version)) and the shipped insert statement;
the transaction is the shipped one (version check, insert, NOTIFY) minus whatever a design leaves out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

# The shipped row shape and argument builder, so every design writes rows the same way.
from ticket_eventstore.postgres import NOTIFY_CHANNEL, PostgresEventStore, _columns
from ticket_workflow import Event, VersionConflict

BATCH = 500  # rows per reader query, as the relay and projector read
_INSERT = """
INSERT INTO events (position, event_id, stream_id, version, type, data, metadata, occurred_at)
SELECT nextval('events_position_seq'), e.event_id, e.stream_id, e.version, e.type, e.data, e.metadata, e.occurred_at
FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::jsonb[], $6::jsonb[], $7::timestamptz[])
     WITH ORDINALITY AS e(event_id, stream_id, version, type, data, metadata, occurred_at, n)
ORDER BY e.n
RETURNING position
"""
_VERSION = "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1"
_BY_POSITION = f"SELECT event_id, position FROM events WHERE position > $1 ORDER BY position LIMIT {BATCH}"


class PlainStore:
    """No ordering guarantee: positions come from the sequence at insert time, commits land in any order.

    Readers that remember "the last position I saw" can skip an event for good: UNSAFE for them. The speed
    of light for our transaction shape (version check + insert).
    """

    positional = True  # after writers stop, one empty read means the reader has everything it will ever get

    def __init__(self, pool: asyncpg.Pool, *, notify: bool = False) -> None:
        self._pool = pool
        self._notify = notify

    def start(self) -> Any:
        return 0

    async def append(self, stream_id: str, expected_version: int, events: Sequence[Event]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(_VERSION, stream_id) != expected_version:
                raise VersionConflict(expected_version, stream_id=stream_id)
            try:
                rows = await conn.fetch(_INSERT, *_columns(events))
            except asyncpg.UniqueViolationError as exc:
                raise VersionConflict(expected_version, stream_id=stream_id) from exc
            if self._notify:
                await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, str(rows[-1]["position"]))

    async def read_after(self, conn: asyncpg.Connection, cursor: Any) -> tuple[list[str], list[str], Any]:
        rows = await conn.fetch(_BY_POSITION, cursor)
        return [str(r["event_id"]) for r in rows], [], rows[-1]["position"] if rows else cursor


class LockStore(PlainStore):
    """Our design, PostgresEventStore as shipped: a transaction-scoped advisory lock taken right before the
    positions are drawn and held until commit, so positions follow commit order; plus NOTIFY for the relay.
    Its readers are the plain position readers (``read_all``: position > last seen)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(pool)
        self._store = PostgresEventStore(pool)

    async def append(self, stream_id: str, expected_version: int, events: Sequence[Event]) -> None:
        await self._store.append(stream_id, expected_version, events)


class XidStore(PlainStore):
    """The alternative: no lock; every row records its transaction id (a column default), and readers only
    read rows whose transaction id is below the oldest transaction still running, which have all finished.

    The reader's order and cursor are (xact_id, position), not position: positions still do not follow commit
    order, so "last position seen" means nothing to a reader of this store.
    """

    positional = False  # rows become readable when the cluster-wide xmin passes them, not at their commit

    SCHEMA = """
    ALTER TABLE events ADD COLUMN xact_id xid8 NOT NULL DEFAULT pg_current_xact_id();
    CREATE INDEX events_xact_id_position_idx ON events (xact_id, position);
    """
    # The safe reader reads only rows with ``readable``. The query also returns the rows after them, committed
    # (they are in our snapshot) but held back, so that the benchmark can time how long they wait.
    _READ = f"""
    SELECT event_id, xact_id, position, xact_id < pg_snapshot_xmin(pg_current_snapshot()) AS readable
    FROM events WHERE (xact_id, position) > ($1::xid8, $2::bigint)
    ORDER BY xact_id, position LIMIT {BATCH}
    """

    def start(self) -> Any:
        return (0, 0)

    async def read_after(self, conn: asyncpg.Connection, cursor: Any) -> tuple[list[str], list[str], Any]:
        rows = await conn.fetch(self._READ, *cursor)
        readable = [r for r in rows if r["readable"]]  # all come first: ordered by xact_id
        held = [str(r["event_id"]) for r in rows[len(readable) :]]
        if readable:
            cursor = (readable[-1]["xact_id"], readable[-1]["position"])
        return [str(r["event_id"]) for r in readable], held, cursor


@dataclass(frozen=True)
class Design:
    name: str
    schema: str  # SQL run after the event store migrations
    store: Callable[[asyncpg.Pool], PlainStore]


DESIGNS = [
    Design("baseline UNSAFE", "", lambda pool: PlainStore(pool)),
    Design("lock (shipped)", "", LockStore),
    Design("xid + NOTIFY", XidStore.SCHEMA, lambda pool: XidStore(pool, notify=True)),
    Design("xid", XidStore.SCHEMA, lambda pool: XidStore(pool)),
]
