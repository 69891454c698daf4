"""The read-model port: what the projector writes and the query API reads, whatever the storage.

Adapters: :mod:`ticket_readmodel.postgres` (a schema of its own) and :mod:`ticket_readmodel.sqlite` (tables in the
embedded SQLite file). Both pass ``tests/contract/test_read_model.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ticket_workflow import SUPPORT_TICKET, TicketState, effective_roles

from .projection import Change, Effects, HistoryEntry
from .stats import BUCKETS_PER_DAY as BUCKETS_PER_DAY
from .stats import DayStats as DayStats
from .stats import Stats as Stats
from .stats import UnknownTimeZone as UnknownTimeZone
from .stats import buckets_to_read as buckets_to_read
from .stats import per_day as per_day
from .stats import time_zone as time_zone

if TYPE_CHECKING:
    from .service_levels import PolicyRecord
    from .sla_store import Pending

Sort = Literal["created", "-created", "updated", "-updated", "priority", "-priority", "sla_due", "-sla_due"]
SORTS: tuple[str, ...] = ("created", "-created", "updated", "-updated", "priority", "-priority", "sla_due", "-sla_due")
SlaStatus = Literal["ok", "warning", "breached", "met"]

# Keyset columns of each sort, most significant first; the id breaks ties so every order is total.
SORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "created": ("created_at", "id"),
    "updated": ("updated_at", "id"),
    "priority": ("priority_rank", "created_at", "id"),
    "sla_due": ("sla_due_at", "id"),  # the nearest pending deadline; none: mapping.FAR_FUTURE (last)
}


class InvalidCursor(ValueError):
    pass


class TicketQuery(BaseModel):
    """A page of the ticket list: filters, order, and where the previous page ended."""

    model_config = ConfigDict(frozen=True)

    place: str | None = None
    assignee: str | None = None
    requester: str | None = None
    priority: str | None = None
    text: str | None = Field(
        None,
        description="Case-insensitive substring of the requester, assignee, subject, description or public "
        "conversation, or a prefix of the ticket id (a leading '#' ignored; ids are lower-case).",
    )
    include_notes: bool = Field(
        False,
        description="`text` matches the internal notes and the escalation reason too. For staff only: a customer "
        "whose search matched staff-only text would learn, from the mere result, what it says.",
    )
    sla: SlaStatus | None = Field(None, description="Service-level status (the worse clock) as of `as_of`.")
    as_of: datetime | None = Field(None, description="When `sla` is judged; now when not given.")
    sort: Sort = "-created"
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = None

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    def after(self) -> list[Any] | None:
        """The keyset values the previous page ended with (None on the first page)."""
        if self.cursor is None:
            return None
        return cursor_values(self.cursor, self.sort, len(SORT_COLUMNS[self.sort_key]))


def make_cursor(sort: str, values: list[Any]) -> str:
    raw = json.dumps({"sort": sort, "after": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def cursor_values(cursor: str, sort: str, width: int) -> list[Any]:
    """The ``width`` keyset values of a cursor :func:`make_cursor` wrote for ``sort``; :class:`InvalidCursor` for
    anything else (another order's cursor included)."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except ValueError as exc:
        raise InvalidCursor("cursor is not one this API returned") from exc
    if not isinstance(decoded, dict) or decoded.get("sort") != sort:
        raise InvalidCursor("cursor belongs to another sort order; start again without a cursor")
    values = decoded.get("after")
    if not isinstance(values, list) or len(values) != width:
        raise InvalidCursor("cursor is not one this API returned")
    return values


class TicketPage(BaseModel):
    items: list[TicketState]
    next_cursor: str | None


@dataclass(frozen=True)
class SearchTerm:
    """``TicketQuery.text`` as the adapters match it: ``text`` against the lower-cased search columns,
    ``id_prefix`` against the ticket id (None when nothing is left of it without the '#')."""

    text: str
    id_prefix: str | None
    include_notes: bool

    @classmethod
    def of(cls, query: TicketQuery) -> SearchTerm | None:
        raw = (query.text or "").strip()
        if not raw:
            return None
        prefix = raw.removeprefix("#").strip().lower()
        return cls(text=raw.lower(), id_prefix=prefix or None, include_notes=query.include_notes)


TicketRow = Mapping[str, Any]
"""A ticket as stored, for serving without building a :class:`TicketState`: the ``tickets`` columns by name,
times as aware datetimes, ``marking``, ``messages`` and ``notes`` as their JSON text (decoded only where needed)."""


@dataclass(frozen=True)
class TicketRowPage:
    items: list[TicketRow]
    next_cursor: str | None


Known = Callable[[TicketRow], bool]
"""Whether the caller already holds the ticket of a key row (``id``, ``version``, ``last_position``, ``marking``,
``requester`` and the columns of the page's sort): then the row may come back with those columns only."""


def nothing_known(key: TicketRow) -> bool:
    return False


class Person(BaseModel):
    """A member of staff as the events show them (the ``people`` directory)."""

    model_config = ConfigDict(frozen=True)

    id: str
    roles: list[str] = Field(description="The roles presented on this person's latest event.")
    first_seen: datetime
    last_seen: datetime
    actions: int = Field(description="Events this person caused.")


# The directory's one order, as its cursors name it (a ticket list's cursor is refused there, and the other way).
PEOPLE_ORDER = "id"


def people_cursor(last: Person) -> str:
    """The cursor of the directory page after the one ending with ``last``."""
    return make_cursor(PEOPLE_ORDER, [last.id])


def people_after(cursor: str | None) -> str | None:
    """The id a directory cursor says the previous page ended with (None without a cursor)."""
    if cursor is None:
        return None
    (after,) = cursor_values(cursor, PEOPLE_ORDER, 1)
    if not isinstance(after, str):
        raise InvalidCursor("cursor is not one this API returned")
    return after


def roles_granting(role: str) -> list[str]:
    """The roles whose holders have ``role``, itself included (agent: agent, supervisor, admin)."""
    effective_roles(SUPPORT_TICKET, [role])  # UnknownRole (a ValueError) for a role the net does not know
    return sorted(r.name for r in SUPPORT_TICKET.roles if role in effective_roles(SUPPORT_TICKET, [r.name]))


class Halt(BaseModel):
    """Where the projection stopped on an event it cannot apply (a poison event), and why."""

    model_config = ConfigDict(frozen=True)

    position: int
    reason: str
    event_type: str
    ticket_id: str
    halted_at: datetime


class ReadModelTransaction(Protocol):
    """One atomic unit of projection: read rows, save changes, advance the checkpoint; all or nothing."""

    async def checkpoint(self) -> int:
        """The checkpoint, locked until the transaction ends (no other projector advances it meanwhile)."""
        ...

    async def ticket(self, ticket_id: str) -> TicketState | None: ...

    async def tickets(self, ticket_ids: Collection[str]) -> dict[str, TicketState]:
        """The rows of those tickets that exist, in one read (a batch loads everything it touches at once)."""
        ...

    async def save(self, change: Change) -> None: ...

    async def write(self, effects: Effects) -> None:
        """Write what a batch of events changes: each ticket's last row, the history, the summed counters."""
        ...

    async def rewrite(self, effects: Effects) -> None:
        """Replace the rows and the whole history of ``effects``' tickets, counters untouched (an erasure of
        personal data re-projects them)."""
        ...

    async def advance(self, position: int) -> None:
        """Move the checkpoint to ``position``; a recorded halt at or below it is over and goes with it."""
        ...


class ReadModel(Protocol):
    async def migrate(self) -> None:
        """Create or upgrade the tables (idempotent)."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[ReadModelTransaction]: ...

    async def checkpoint(self) -> int:
        """The global position of the last event applied (0 before the first)."""
        ...

    async def ticket(self, ticket_id: str) -> TicketState | None: ...

    async def list_tickets(self, query: TicketQuery) -> TicketPage: ...

    async def ticket_row(self, ticket_id: str) -> TicketRow | None:
        """The ticket as stored (what the query API serves), without the cost of a :class:`TicketState`."""
        ...

    async def list_ticket_rows(self, query: TicketQuery, *, known: Known = nothing_known) -> TicketRowPage:
        """:meth:`list_tickets` as stored rows: the same tickets, order and cursor, read as one snapshot; rows
        ``known`` to the caller may come back as their key columns only."""
        ...

    async def history(self, ticket_id: str, *, up_to_version: int | None = None) -> list[HistoryEntry]:
        """The ticket's events, oldest first."""
        ...

    async def changes_after(
        self, position: int, *, requester: str | None = None, limit: int = 100
    ) -> list[HistoryEntry]:
        """Events projected after ``position``, in order; only tickets of ``requester`` when given."""
        ...

    async def stats(self, *, days: int = 30, tz: str = "UTC") -> Stats:
        """Aggregates; ``per_day`` holds the latest ``days`` days with activity in the IANA zone ``tz``, oldest
        first. :class:`UnknownTimeZone` (a ValueError) for a zone that does not exist."""
        ...

    async def people(
        self, *, role: str | None = None, prefix: str | None = None, after: str | None = None, limit: int = 200
    ) -> list[Person]:
        """The staff directory, sorted by id in code point order: everyone whose events presented a staff role.
        ``role`` keeps those who hold it (inherited roles count: an admin is a supervisor and an agent), ``prefix``
        those whose id starts with it (case-insensitive), ``after`` those whose id sorts after it (the previous
        page's last). :class:`~ticket_workflow.UnknownRole` (a ValueError) for a role the workflow does not know."""
        ...

    async def content_hash(self) -> str:
        """A digest of every row: equal read models have equal hashes, on any adapter."""
        ...

    async def sla_policy(self, version: int | None = None) -> PolicyRecord | None:
        """The latest service-level policy (None before the first), or the given version of it."""
        ...

    async def sla_policies(self, *, before: int) -> list[PolicyRecord]:
        """The policy's versions recorded before the global position ``before``, oldest first: what the read model
        knew of the policy when it applied the event at that position."""
        ...

    async def sla_pending(self, now: datetime, *, limit: int = 100) -> list[Pending]:
        """Tickets with a running clock whose warning or due instant is at or before ``now``, nearest first."""
        ...

    async def record_halt(self, halt: Halt) -> None:
        """Keep the halt across restarts (``/ready`` reports it until the checkpoint passes its position)."""
        ...

    async def recorded_halt(self) -> Halt | None:
        """The halt recorded by this or an earlier run, while the checkpoint is still below it."""
        ...
