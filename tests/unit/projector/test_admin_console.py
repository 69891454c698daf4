"""What ``ticket-projector status`` and ``rebuild`` print on a terminal."""

from __future__ import annotations

import io

from ticket_projector.console import ProgressBar, age, render_status

HALTED = {
    "store_position": 40,
    "relay": {"stream": "s", "leader": False, "published_position": 38, "behind_positions": 2, "behind_seconds": 90},
    "consumer_group": {"name": "projector", "pending": 3, "consumers": 2},
    "projections": [
        {
            "name": "tickets",
            "status": "halted",
            "checkpoint": 31,
            "behind_positions": 9,
            "behind_seconds": 4.25,
            "halt": {"position": 32, "event_type": "Closeed", "ticket_id": "t-1", "reason": "not enabled"},
            "rebuild": {
                "state": "failed",
                "done": 20,
                "total": 40,
                "actor": "dana",
                "started_at": "2026-11-28T10:00:00Z",
                "error": "interrupted",
            },
            "skipped": [
                {
                    "position": 7,
                    "event_type": "Assigned",
                    "ticket_id": "t-0",
                    "actor": "carol",
                    "skipped_at": "2026-11-27T09:00:00Z",
                    "reason": "bad import",
                }
            ],
        }
    ],
}


def test_the_status_table_names_the_halt_the_way_out_the_rebuild_and_the_skips() -> None:
    text = render_status(HALTED)
    assert "relay            s: NO LEADER, published 38 (2 behind, 2 min)" in text
    assert "consumer group   projector: 3 pending, 2 consumers" in text
    assert "tickets     halted                31           9             4.2 s" in text
    assert "halted at 32: Closeed of ticket t-1: not enabled" in text
    assert "ticket-projector skip --position 32" in text
    assert "rebuild failed by dana, 20/40" in text and "interrupted" in text
    assert "skipped 7 (Assigned of ticket t-0) by carol at 2026-11-27T09:00:00Z: bad import" in text


def test_the_embedded_status_has_no_relay_lines() -> None:
    text = render_status(HALTED | {"relay": None, "consumer_group": None})
    assert "relay" not in text and "consumer group" not in text


def test_ages_read_as_an_operator_says_them() -> None:
    assert [age(s) for s in (0, 4.25, 720, 12_600, 86_400 * 271)] == ["0 s", "4.2 s", "12 min", "3.5 h", "271 d"]


def test_the_progress_bar_fills_and_ends_its_line() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, "rebuild")
    bar.update(0, 10)
    bar.update(10, 10)
    bar.close()
    last = out.getvalue().split("\r")[-1]
    assert last.startswith("rebuild [" + "#" * 30 + "] 100%  10/10") and last.endswith("\n")
