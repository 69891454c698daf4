"""What the CLI shows an operator: the status as a table, a progress bar on a terminal."""

from __future__ import annotations

import time
from typing import Any, TextIO

WIDTH = 30


class ProgressBar:
    """``label [#####.....]  45%  450/1000  12 s`` on one line of a terminal, redrawn at most ten times a second."""

    def __init__(self, out: TextIO, label: str) -> None:
        self.out, self.label = out, label
        self.started = self.drawn = time.monotonic()

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.drawn < 0.1 and done < total:
            return
        self.drawn = now
        share = done / total if total > 0 else 1.0
        filled = round(WIDTH * min(share, 1.0))
        bar = "#" * filled + "." * (WIDTH - filled)
        self.out.write(f"\r{self.label} [{bar}] {share:4.0%}  {done}/{total}  {now - self.started:.0f} s")
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n")
        self.out.flush()


def render_status(status: dict[str, Any]) -> str:
    """The admin API's status as lines of text."""
    lines = [f"store position   {status['store_position']}"]
    relay = status.get("relay")
    if relay is not None:
        leader = "a leader publishes" if relay["leader"] else "NO LEADER"
        lines.append(
            f"relay            {relay['stream']}: {leader}, published {relay['published_position']} "
            f"({relay['behind_positions']} behind, {age(relay['behind_seconds'])})"
        )
    group = status.get("consumer_group")
    if group is not None:
        lines.append(f"consumer group   {group['name']}: {group['pending']} pending, {group['consumers']} consumers")
    timer = status.get("sla_timer")
    if timer is not None:
        lines += _timer_lines(timer)
    lines += ["", f"{'projection':<12}{'status':<12}{'checkpoint':>12}  {'behind':>10}  {'oldest unapplied':>16}"]
    for p in status["projections"]:
        lines.append(
            f"{p['name']:<12}{p['status']:<12}{p['checkpoint']:>12}  {p['behind_positions']:>10}  "
            f"{age(p['behind_seconds']):>16}"
        )
        halt = p.get("halt")
        if halt is not None:
            lines.append(
                f"  halted at {halt['position']}: {halt['event_type']} of ticket {halt['ticket_id']}: {halt['reason']}"
            )
            lines.append(
                f"  then: ticket-projector retry  |  ticket-projector skip --position {halt['position']} --reason ..."
            )
        rebuild = p.get("rebuild")
        if rebuild is not None:
            by = f" by {rebuild['actor']}" if rebuild["actor"] else ""
            error = f": {rebuild['error']}" if rebuild["error"] else ""
            lines.append(
                f"  rebuild {rebuild['state']}{by}, {rebuild['done']}/{rebuild['total']}, "
                f"started {rebuild['started_at']}{error}"
            )
        for skip in p.get("skipped", []):
            lines.append(
                f"  skipped {skip['position']} ({skip['event_type']} of ticket {skip['ticket_id']}) by {skip['actor']} "
                f"at {skip['skipped_at']}: {skip['reason']}"
            )
    return "\n".join(lines)


def _timer_lines(timer: dict[str, Any]) -> list[str]:
    """The service-level timer: who raises the alerts, the outbox, the last alerts raised and published."""
    if timer["leading_here"]:
        leader = "this process raises alerts"
    else:
        leader = "a leader raises alerts" if timer["leader"] else "NO LEADER"
    where = timer["stream"] or "in process"
    backlog = f", {timer['unpublished']} raised not published" if timer["unpublished"] is not None else ""
    lines = [f"sla timer        {where}: {leader}{backlog}"]
    if timer["last_round_at"] is not None:
        lines.append(f"  last round at {timer['last_round_at']}")
    if timer["last_error"] is not None:
        lines.append(f"  last round failed: {timer['last_error']}")
    for label, key, at in (("raised", "last_raised", "raised_at"), ("published", "last_published", "published_at")):
        alert = timer.get(key)
        if alert is not None:
            lines.append(
                f"  last {label} {alert['type']} ({alert['clock']}) of ticket {alert['ticket_id']} at {alert[at]}"
            )
    return lines


def age(seconds: float) -> str:
    """A duration as an operator reads it: 0 s, 4.2 s, 12 min, 3.5 h, 270 d."""
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds else "0 s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} d"
