"""The ticket list as keyset-paginated SQL both adapters share (filters, order, cursor, one more row than asked)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ticket_workflow import TicketState

from .mapping import PRIORITY_RANK, priority_rank
from .read_model import (
    SORT_COLUMNS,
    InvalidCursor,
    SearchTerm,
    TicketPage,
    TicketQuery,
    TicketRow,
    TicketRowPage,
    make_cursor,
)


@dataclass(frozen=True)
class Dialect:
    placeholder: Callable[[int], str]  # 1-based parameter number -> "$1" or "?"
    timestamp: Callable[[datetime], Any]  # a cursor's time -> the parameter the database compares
    # A search term -> the condition that matches it, parameters added with the function it is given
    search: Callable[[SearchTerm, Callable[[Any], str]], str]


def list_sql(query: TicketQuery, table: str, columns: str, dialect: Dialect) -> tuple[str, list[Any]]:
    params: list[Any] = []

    def param(value: Any) -> str:
        params.append(value)
        return dialect.placeholder(len(params))

    where = []
    for column in ("place", "assignee", "requester"):
        value = getattr(query, column)
        if value is not None:
            where.append(f"{column} = {param(value)}")
    if query.priority is not None:
        where.append(f"priority_rank = {param(priority_rank(query.priority))}")
    term = SearchTerm.of(query)
    if term is not None:
        where.append(dialect.search(term, param))
    if query.sla is not None:
        moment = dialect.timestamp(query.as_of or datetime.now(UTC))
        where.append(sla_condition(query.sla, lambda: param(moment)))
    columns_of_sort = SORT_COLUMNS[query.sort_key]
    after = query.after()
    if after is not None:
        values = [_cursor_value(column, value, dialect) for column, value in zip(columns_of_sort, after, strict=True)]
        operator = "<" if query.descending else ">"
        placeholders = ", ".join(param(v) for v in values)
        where.append(f"({', '.join(columns_of_sort)}) {operator} ({placeholders})")
    direction = "DESC" if query.descending else "ASC"
    order = ", ".join(f"{column} {direction}" for column in columns_of_sort)
    condition = " AND ".join(where) or "1 = 1"
    sql = f"SELECT {columns} FROM {table} WHERE {condition} ORDER BY {order} LIMIT {param(query.limit + 1)}"
    return sql, params


def page_of(query: TicketQuery, rows: list[Any], ticket: Callable[[Any], TicketState]) -> TicketPage:
    """The page from the rows ``list_sql`` selected (one more than asked when another page follows)."""
    kept = rows[: query.limit]
    cursor = next_cursor(query, kept[-1]) if len(rows) > query.limit else None
    return TicketPage(items=[ticket(r) for r in kept], next_cursor=cursor)


def sla_condition(status: str, now: Callable[[], str]) -> str:
    """Tickets whose service-level status (:func:`ticket_workflow.sla.overall`) is ``status`` at the instant
    ``now()`` adds as a parameter (once per use: SQLite's parameters are positional)."""

    def breached(c: str) -> str:
        running = f"{c}_met_at IS NULL AND {c}_due_at IS NOT NULL"
        return f"({c}_target_seconds IS NOT NULL AND ({c}_breached OR ({running} AND {c}_due_at < {now()})))"

    def warning(c: str) -> str:
        return f"({c}_met_at IS NULL AND {c}_warning_at IS NOT NULL AND {c}_warning_at <= {now()})"

    def met(c: str) -> str:
        return f"({c}_target_seconds IS NULL OR ({c}_met_at IS NOT NULL AND NOT {c}_breached))"

    clocks = ("first_response", "resolution")
    some = "(first_response_target_seconds IS NOT NULL OR resolution_target_seconds IS NOT NULL)"
    if status == "breached":
        return f"({' OR '.join(breached(c) for c in clocks)})"
    if status == "met":
        return f"({some} AND {' AND '.join(met(c) for c in clocks)})"
    calm = f"NOT ({' OR '.join(breached(c) for c in clocks)})"
    if status == "warning":
        return f"({calm} AND ({' OR '.join(warning(c) for c in clocks)}))"
    return (
        f"({some} AND {calm} AND NOT ({' OR '.join(warning(c) for c in clocks)}) "
        f"AND NOT ({' AND '.join(met(c) for c in clocks)}))"
    )


def row_page_of(query: TicketQuery, rows: list[TicketRow]) -> TicketRowPage:
    """:func:`page_of` for stored rows (the sort columns are among the selected ones)."""
    items = rows[: query.limit]
    cursor = next_cursor(query, items[-1]) if len(rows) > query.limit else None
    return TicketRowPage(items=items, next_cursor=cursor)


def next_cursor(query: TicketQuery, last: Mapping[str, Any]) -> str:
    """The cursor of the page after the one ending with ``last`` (a row's sort columns)."""
    values = []
    for column in SORT_COLUMNS[query.sort_key]:
        value = last[column]
        if isinstance(value, str) and column.endswith("_at"):  # a time as SQLite stores it
            value = datetime.fromisoformat(value)
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return make_cursor(query.sort, values)


def like_pattern(text: str) -> str:
    return f"%{like_escaped(text)}%"


def like_prefix(text: str) -> str:
    return f"{like_escaped(text)}%"


def like_escaped(text: str) -> str:
    """``text`` as a LIKE pattern that matches itself only (``\\`` is the escape character)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _cursor_value(column: str, value: Any, dialect: Dialect) -> Any:
    """A keyset value of a cursor, checked: a forged cursor is refused, never handed to the database."""
    if column.endswith("_at"):
        moment = _aware_time(value)
        if moment is not None:
            return dialect.timestamp(moment)
    elif column == "priority_rank":
        if type(value) is int and value in PRIORITY_RANK.values():
            return value
    elif isinstance(value, str):
        return value
    raise InvalidCursor("cursor is not one this API returned")


def _aware_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
