"""The one mapping between a ticket (:class:`~ticket_workflow.TicketState`) and its stored row, for both adapters.

The ``tickets`` table holds one column per field of the state, named after it and derived from its type (text,
integer, JSON, time), then the derived columns the queries filter, sort and search on. A field added to the state
needs a migration per database adding its column (the contract tests check every column is there) and nothing
else: rows are written, read and hashed field by field from :data:`STATE_COLUMNS`.

How each database holds JSON and times is a :class:`Codec`; the history and the staff directory go through it too.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

import orjson
from pydantic import BaseModel

from ticket_workflow import TRANSITION_BY_EVENT, Event, TicketState

from .projection import HistoryEntry
from .read_model import Halt, Person

Kind = Literal["text", "integer", "json", "time", "bool", "float"]
M = TypeVar("M", bound=BaseModel)
PG_TYPES: dict[str, str] = {"text": "text", "integer": "integer", "json": "jsonb", "time": "timestamptz"}
PRIORITY_RANK: dict[str, int] = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
SEARCH_SEPARATOR = "\x1f"  # between the fields of a search text, so that a term never spans two of them


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    pg_type: str  # the PostgreSQL type (SQLite stores text, integers and JSON text)


def _kind(annotation: Any) -> Kind:
    """The storage kind of a state field's type (``X | None`` as ``X``; models and containers are JSON)."""
    if get_origin(annotation) in (Union, types.UnionType):
        kept = [a for a in get_args(annotation) if a is not type(None)]
        annotation = kept[0] if len(kept) == 1 else annotation
    if annotation is str:
        return "text"
    if annotation is int:
        return "integer"
    if annotation is datetime:
        return "time"
    return "json"


STATE_COLUMNS: tuple[Column, ...] = tuple(
    Column(name, kind, PG_TYPES[kind])
    for name, field in TicketState.model_fields.items()
    for kind in [_kind(field.annotation)]
)
# Derived from the state (and the position of the last event applied), for the list's filters, orders and search.
DERIVED_COLUMNS: tuple[Column, ...] = (
    Column("place", "text", "text"),
    Column("priority_rank", "integer", "smallint"),  # low 0 .. urgent 3, for sorting
    Column("message_count", "integer", "integer"),
    Column("last_position", "integer", "bigint"),
)
SEARCH_COLUMNS: tuple[Column, ...] = (Column("search_public", "text", "text"), Column("search_staff", "text", "text"))


def _clock(name: str) -> tuple[Column, ...]:
    at = [Column(f"{name}_{t}_at", "time", "timestamptz") for t in ("due", "warning", "met")]
    return (Column(f"{name}_target_seconds", "integer", "integer"), *at, Column(f"{name}_breached", "bool", "boolean"))


# The service-level clocks (:mod:`ticket_readmodel.service_levels`): read with the ticket, written with it.
SLA_COLUMNS: tuple[Column, ...] = (
    Column("sla_policy_version", "integer", "integer"),  # the policy they were measured under
    *_clock("first_response"),  # *_breached: stopped (or paused) past its due instant
    *_clock("resolution"),  # due_at and warning_at are NULL while paused
    Column("resolution_paused", "bool", "boolean"),
    Column("resolution_elapsed_seconds", "float", "double precision"),  # counted before resolution_running_since
    Column("resolution_running_since", "time", "timestamptz"),
    Column("sla_warning_at", "time", "timestamptz"),  # the nearest pending warning; NULL: nothing pending
    Column("sla_due_at", "time", "timestamptz"),  # the nearest pending due instant; FAR_FUTURE: none
)
SLA_INTERVALS = Column("sla_intervals", "text", "text")  # the resolution clock's spans (JSON): written, not read
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)  # not datetime.max: asyncpg sends that as infinity
WRITTEN_COLUMNS = STATE_COLUMNS + DERIVED_COLUMNS + SEARCH_COLUMNS + SLA_COLUMNS + (SLA_INTERVALS,)  # ticket_values
TIME_COLUMNS = tuple(c.name for c in STATE_COLUMNS + SLA_COLUMNS if c.kind == "time")
JSON_COLUMNS = tuple(c.name for c in STATE_COLUMNS if c.kind == "json")
# What a read selects (a TicketRow): every column but the search texts and the spans.
TICKET_COLUMNS = ", ".join(c.name for c in STATE_COLUMNS + DERIVED_COLUMNS + SLA_COLUMNS)
# The clocks as a reader renders them (the nearest instants are for sorting and the timer only).
SLA_NAMES = ", ".join(c.name for c in SLA_COLUMNS if c.name not in ("sla_warning_at", "sla_due_at"))


@dataclass(frozen=True)
class SlaValues:
    """A ticket's service-level columns: :data:`SLA_COLUMNS` in order (times as datetimes), and its spans."""

    values: tuple[Any, ...]
    intervals: str


NO_SLA = SlaValues((None, *(None, None, None, None, False) * 2, False, 0.0, None, None, FAR_FUTURE), "[]")

HISTORY: tuple[Column, ...] = (
    Column("position", "integer", "bigint"),
    Column("ticket_id", "text", "text"),
    Column("version", "integer", "integer"),
    Column("event_id", "text", "text"),
    Column("type", "text", "text"),
    Column("transition", "text", "text"),
    Column("occurred_at", "time", "timestamptz"),
    Column("data", "json", "jsonb"),
    Column("metadata", "json", "jsonb"),
)
HISTORY_WRITTEN = (*HISTORY, Column("actor", "text", "text"), Column("roles", "json", "jsonb"))
HISTORY_COLUMNS = ", ".join(c.name for c in HISTORY)
PEOPLE: tuple[Column, ...] = (
    Column("id", "text", "text"),
    Column("roles", "json", "jsonb"),  # of the person's latest event
    Column("first_seen", "time", "timestamptz"),
    Column("last_seen", "time", "timestamptz"),
    Column("actions", "integer", "integer"),
)
PEOPLE_COLUMNS = ", ".join(c.name for c in PEOPLE)
HALT: tuple[Column, ...] = (
    Column("position", "integer", "bigint"),
    Column("reason", "text", "text"),
    Column("event_type", "text", "text"),
    Column("ticket_id", "text", "text"),
    Column("halted_at", "time", "timestamptz"),
)
HALT_COLUMNS = ", ".join(c.name for c in HALT)


def dumps(value: Any) -> str:
    """Compact JSON text, encoded once per value."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits, which JSON allows and orjson refuses
        return json.dumps(value, separators=(",", ":"))


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Codec:
    """How a database takes and gives JSON and times (the other kinds pass as they are)."""

    time_out: Callable[[datetime | None], Any]
    time_in: Callable[[Any], datetime | None]
    json_in: Callable[[Any], Any]  # a JSON column as selected (its text, or already decoded by the driver)

    def out(self, kind: Kind, value: Any) -> Any:
        """A value of a text, integer or time column as the database takes it (JSON is :func:`dumps`'d)."""
        return self.time_out(value) if kind == "time" else value

    def into(self, kind: Kind, value: Any) -> Any:
        if kind == "json":
            return self.json_in(value)
        return self.time_in(value) if kind == "time" else value


def stamp(moment: datetime | None) -> str | None:
    """A time as SQLite stores it: UTC, microseconds, so text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds") if moment is not None else None


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


POSTGRES = Codec(time_out=_same, time_in=_same, json_in=_same)  # the pool's codecs decode json and jsonb
SQLITE = Codec(time_out=stamp, time_in=parse_time, json_in=orjson.loads)


def priority_rank(priority: str) -> int:
    return PRIORITY_RANK.get(priority, PRIORITY_RANK["normal"])


def search_texts(state: TicketState) -> tuple[str, str]:
    """The ticket's text as the list's search (``q``) matches it, lower-cased: (public, staff only).

    Public: requester, assignee, subject, description and the conversation's bodies; anyone who may see the
    ticket may find it by them. Staff only: the internal notes (escalation reasons and transition notes among
    them) and the escalation reason; only staff searches look there, so that a customer's results never reveal
    them. The ticket id is matched apart, as a prefix.
    """
    public = [state.requester, state.assignee or "", state.subject, state.description]
    public += [m.body for m in state.messages]
    staff = [m.body for m in state.notes]
    if state.escalation_reason and state.escalation_reason not in staff:
        staff.append(state.escalation_reason)
    return SEARCH_SEPARATOR.join(public).lower(), SEARCH_SEPARATOR.join(staff).lower()


def ticket_values(state: TicketState, position: int, codec: Codec, sla: SlaValues = NO_SLA) -> tuple[Any, ...]:
    """The row of ``state`` in :data:`WRITTEN_COLUMNS` order, with its service-level columns ``sla``."""
    dumped = state.model_dump(mode="json", include=set(JSON_COLUMNS))
    own = tuple(
        dumps(dumped[c.name]) if c.kind == "json" else codec.out(c.kind, getattr(state, c.name)) for c in STATE_COLUMNS
    )
    derived = (state.place, priority_rank(state.priority), len(state.messages), position)
    clocks = tuple(codec.out(c.kind, v) for c, v in zip(SLA_COLUMNS, sla.values, strict=True))
    return own + derived + search_texts(state) + clocks + (sla.intervals,)


def ticket_of(row: Any, codec: Codec) -> TicketState:
    """The ticket of a row holding the state's columns, read by name."""
    return _model_of(TicketState, STATE_COLUMNS, row, codec)


def _model_of(model: type[M], columns: tuple[Column, ...], row: Any, codec: Codec) -> M:
    """A model from the ``columns`` of a row, read by name, each decoded as its kind says."""
    return model.model_validate({c.name: codec.into(c.kind, row[c.name]) for c in columns})


def ticket_row(row: Any, codec: Codec) -> dict[str, Any]:
    """A TicketRow: the selected columns by name, times as datetimes, JSON as its text (as PostgreSQL gives it)."""
    record = dict(row)
    for name in TIME_COLUMNS:
        record[name] = codec.time_in(record[name])
    return record


def canonical(state: TicketState) -> dict[str, Any]:
    """A JSON-ready form that is equal for equal tickets whatever the storage (times in UTC)."""
    return _utc_times(state.model_dump())  # type: ignore[no-any-return]


def _utc_times(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: _utc_times(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_utc_times(v) for v in value]
    return value


def history_values(event: Event, codec: Codec) -> tuple[Any, ...]:
    """The history row of ``event`` in :data:`HISTORY_WRITTEN` order."""
    m = event.metadata
    return (
        event.position,
        event.stream_id,
        event.version,
        event.id,
        event.type,
        TRANSITION_BY_EVENT.get(event.type),
        codec.time_out(event.timestamp),
        dumps(event.data),
        m.model_dump_json(),
        m.actor,
        dumps(list(m.roles)),
    )


def history_of(row: Any, codec: Codec) -> HistoryEntry:
    return _model_of(HistoryEntry, HISTORY, row, codec)


def person_of(row: Any, codec: Codec) -> Person:
    return _model_of(Person, PEOPLE, row, codec)


def halt_of(row: Any, codec: Codec) -> Halt:
    return _model_of(Halt, HALT, row, codec)


def halt_values(projection: str, halt: Halt, codec: Codec) -> tuple[Any, ...]:
    """The ``halt`` row in ``projection, HALT_COLUMNS`` order."""
    return (projection, halt.position, halt.reason, halt.event_type, halt.ticket_id, codec.time_out(halt.halted_at))
