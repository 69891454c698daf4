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


ALERT = {
    "seq": 7,
    "id": "t-9:resolution:breached:2026-11-28T10:00:00+00:00",
    "type": "ServiceLevelBreached",
    "ticket_id": "t-9",
    "clock": "resolution",
    "due_at": "2026-11-28T10:00:00+00:00",
    "warning_at": "2026-11-28T09:00:00+00:00",
    "raised_at": "2026-11-28T10:00:01+00:00",
    "priority": "high",
    "published_at": "2026-11-28T10:00:02+00:00",
}
TIMER = {
    "leader": True,
    "leading_here": None,
    "last_round_at": None,
    "last_error": None,
    "stream": "support-ticket.sla-alerts",
    "unpublished": 2,
    "last_raised": ALERT | {"seq": 9, "ticket_id": "t-11", "type": "ServiceLevelWarning", "published_at": None},
    "last_published": ALERT,
}


def test_the_status_names_who_raises_the_alerts_the_outbox_and_the_last_alerts() -> None:
    text = render_status(HALTED | {"sla_timer": TIMER})
    assert "sla timer        support-ticket.sla-alerts: a leader raises alerts, 2 raised not published" in text
    assert "  last raised ServiceLevelWarning (resolution) of ticket t-11 at 2026-11-28T10:00:01+00:00" in text
    assert "  last published ServiceLevelBreached (resolution) of ticket t-9 at 2026-11-28T10:00:02+00:00" in text
    assert "last round" not in text
    nobody = render_status(HALTED | {"sla_timer": TIMER | {"leader": False, "last_raised": None}})
    assert "support-ticket.sla-alerts: NO LEADER, 2 raised not published" in nobody and "last raised" not in nobody
    here = TIMER | {"leading_here": True, "last_round_at": "2026-11-28T10:00:03+00:00", "last_error": "Redis down"}
    leading = render_status(HALTED | {"sla_timer": here})
    assert "this process raises alerts" in leading and "  last round at 2026-11-28T10:00:03+00:00" in leading
    assert "  last round failed: Redis down" in leading


def test_the_embedded_timer_raises_in_process_and_publishes_nowhere() -> None:
    embedded = TIMER | {"leading_here": True, "stream": None, "unpublished": None, "last_published": None}
    text = render_status(HALTED | {"relay": None, "consumer_group": None, "sla_timer": embedded})
    assert "sla timer        in process: this process raises alerts\n" in text
    assert "last raised ServiceLevelWarning" in text and "published" not in text


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
