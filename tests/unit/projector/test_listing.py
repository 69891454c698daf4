"""The ticket list's SQL: filters become parameters, cursors continue the order they came from."""

from __future__ import annotations

import pytest

from ticket_readmodel.listing import like_pattern, list_sql
from ticket_readmodel.postgres import DIALECT
from ticket_readmodel.read_model import InvalidCursor, TicketQuery, make_cursor


def test_filters_are_parameters_never_sql() -> None:
    sql, params = list_sql(
        TicketQuery(place="new", assignee="x'; DROP TABLE tickets; --", priority="urgent", text="50%"),
        "t",
        "id",
        DIALECT,
    )
    assert "DROP" not in sql
    assert params == ["new", "x'; DROP TABLE tickets; --", 3, "%50\\%%", "50\\%%", 26]
    assert sql.endswith("ORDER BY created_at DESC, id DESC LIMIT $6")


def test_a_cursor_continues_after_the_last_row() -> None:
    cursor = make_cursor("priority", [2, "2026-03-02T09:00:00+00:00", "abc"])
    sql, params = list_sql(TicketQuery(sort="priority", cursor=cursor, limit=10), "t", "id", DIALECT)
    assert "(priority_rank, created_at, id) > ($1, $2, $3)" in sql
    assert params[0] == 2 and params[2] == "abc" and params[3] == 11


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "bm90IGpzb24",
        make_cursor("created", [1]),
        make_cursor("-created", [1, 2]),
        make_cursor("-created", ["2026-03-02T09:00:00", "naive time"]),
        make_cursor("-created", ["2026-03-02T09:00:00+00:00", ["not", "an", "id"]]),
        make_cursor("-created", ["2026-03-02T09:00:00+00:00", 7]),
        make_cursor("-priority", [99_999_999_999, "2026-03-02T09:00:00+00:00", "abc"]),
        make_cursor("-priority", [True, "2026-03-02T09:00:00+00:00", "abc"]),
        make_cursor("-priority", ["2", "2026-03-02T09:00:00+00:00", "abc"]),
    ],
)
def test_foreign_or_broken_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        list_sql(TicketQuery(sort="-created", cursor=cursor or "!!"), "t", "id", DIALECT)


def test_like_patterns_escape_wildcards() -> None:
    assert like_pattern("a_b%c\\") == "%a\\_b\\%c\\\\%"
