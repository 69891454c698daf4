"""The ticket list as keyset-paginated SQL both adapters share (filters, order, cursor, one more row than asked)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
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


def page_of(query: TicketQuery, rows: list[TicketState]) -> TicketPage:
    """The page from the rows ``list_sql`` selected (one more than asked when another page follows)."""
    items = rows[: query.limit]
    cursor = next_cursor(query, sort_values(items[-1])) if len(rows) > query.limit else None
    return TicketPage(items=items, next_cursor=cursor)


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


def sort_values(state: Any) -> dict[str, Any]:
    """The keyset columns of a ticket (a :class:`~ticket_workflow.TicketState`)."""
    return {
        "created_at": state.created_at,
        "updated_at": state.updated_at,
        "priority_rank": priority_rank(state.priority),
        "id": state.id,
    }
