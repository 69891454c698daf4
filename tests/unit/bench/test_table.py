"""The table of ``make bench``: ratios against references, targets met or not, and figures that are missing."""

from __future__ import annotations

import json

from bench.parsing import parse_pgbench, parse_wrk
from bench.table import Row, Target, markdown_table, rows, text_table


def test_a_ratio_target_compares_ours_with_the_reference() -> None:
    row = Row("create", "/s", 900.0, "bare app", 1000.0, Target("ratio_at_least", 0.8))
    assert row.ratio == 0.9
    assert row.met is True
    assert Row("create", "/s", 700.0, "bare app", 1000.0, Target("ratio_at_least", 0.8)).met is False


def test_a_latency_target_is_a_ceiling_on_the_ratio() -> None:
    assert Row("p99", "ms", 30.0, "bare p99", 20.0, Target("ratio_at_most", 1.5)).met is True
    assert Row("p99", "ms", 31.0, "bare p99", 20.0, Target("ratio_at_most", 1.5)).met is False


def test_absolute_targets_include_or_exclude_their_bound() -> None:
    assert Row("drain", "s", 1.0, target=Target("at_most", 1)).met is True
    assert Row("idle", "tx/s", 10.0, target=Target("below", 10)).met is False
    assert Row("idle", "tx/s", 9.9, target=Target("below", 10)).cells()[-1] == "yes"


def test_a_missing_figure_is_shown_as_not_measured_and_judged_unknown() -> None:
    row = Row("create", "/s", 900.0, "bare app", None, Target("ratio_at_least", 0.8))
    assert row.ratio is None
    assert row.met is None
    assert row.cells() == ["create", "900/s", "bare app n/a", "", ">= 0.8 x", "?"]


def test_the_run_table_has_every_figure_once_even_when_nothing_was_measured() -> None:
    table = rows({})
    assert len({row.figure for row in table}) == len(table)
    assert all(row.ours is None for row in table)
    assert [row.figure for row in table if row.target is None] == [
        "transition vs eventsourcing",
        "create p50",
        "get p99",
        "list p99",
    ]


def test_text_and_markdown_tables_have_one_line_per_row_plus_headers() -> None:
    table = rows({"create_rate": 800.0, "bare_rate": 1000.0}, tickets=3000)
    assert len(text_table(table).splitlines()) == len(table) + 2
    markdown = markdown_table(table).splitlines()
    assert len(markdown) == len(table) + 2
    assert markdown[2].startswith(
        "| create: POST /api/support-ticket | 800/s | bare app 1,000/s | 0.80 | >= 0.8 x | yes |"
    )
    assert any("3,000 tickets" in line for line in markdown)
    assert json.loads(json.dumps([row.as_json() for row in table]))[0]["met"] is True


def test_wrk_summary_counts_failures_out_of_the_rate() -> None:
    line = (
        'BENCH_JSON {"requests": 1100, "duration_us": 1000000, "connect_errors": 0, "read_errors": 0, '
        '"write_errors": 0, "timeouts": 0, "status_errors": 100, "p50_us": 1500, "p90_us": 2000, '
        '"p99_us": 9000, "max_us": 12000, "mean_us": 1600.0}'
    )
    result = parse_wrk("Running 1s test\n" + line + "\n")
    assert (result.rate, result.failed, result.p50_ms, result.p99_ms) == (1000.0, 100, 1.5, 9.0)


def test_a_script_that_timed_its_own_window_is_measured_over_it() -> None:
    summary = {"requests": 532, "duration_us": 10_000_000, "p50_us": 1000, "p99_us": 1000, "ok": 500}
    summary |= {"window_us": 250_000, "status_errors": 0}
    assert parse_wrk("BENCH_JSON " + json.dumps(summary)).rate == 2000.0


def test_pgbench_transactions_per_second() -> None:
    assert parse_pgbench("latency average = 2.1 ms\ntps = 15234.5 (without initial connection time)\n") == 15234.5
