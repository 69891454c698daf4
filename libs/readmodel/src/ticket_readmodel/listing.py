"""The ticket list as keyset-paginated SQL, for any adapter: filters, order, cursor, one more row than asked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .projection import priority_rank
from .read_model import SORT_COLUMNS, InvalidCursor, TicketQuery, make_cursor


@dataclass(frozen=True)
class Dialect:
    placeholder: Callable[[int], str]  # 1-based parameter number -> "$1" or "?"
    timestamp: Callable[[datetime], Any]  # a cursor's time -> the parameter the database compares
    text_match: str  # "{}" stands for the LIKE pattern's placeholder


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
    if query.text:
        where.append(dialect.text_match.format(param(like_pattern(query.text))))
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


def next_cursor(query: TicketQuery, last: dict[str, Any]) -> str:
    """The cursor of the page after the one ending with ``last`` (a row's sort columns)."""
    values = []
    for column in SORT_COLUMNS[query.sort_key]:
        value = last[column]
        values.append(value.isoformat() if isinstance(value, datetime) else value)
    return make_cursor(query.sort, values)


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _cursor_value(column: str, value: Any, dialect: Dialect) -> Any:
    try:
        if column.endswith("_at"):
            return dialect.timestamp(datetime.fromisoformat(value))
        if column == "priority_rank":
            return int(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise InvalidCursor("cursor is not one this API returned") from exc


def sort_values(state: Any) -> dict[str, Any]:
    """The keyset columns of a ticket (a :class:`~ticket_workflow.TicketState`)."""
    return {
        "created_at": state.created_at,
        "updated_at": state.updated_at,
        "priority_rank": priority_rank(state.priority),
        "id": state.id,
    }
