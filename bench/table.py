"""The results table of ``make bench``: figures, their references, ratios and targets, as text, Markdown and JSON.

Pure: no I/O. A target is only compared and shown ("yes"/"no"); the benchmark never asserts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

TargetKind = Literal["ratio_at_least", "ratio_at_most", "at_most", "below"]
UNIT_FORMATS = {"/s": "{:,.0f}/s", "ms": "{:,.1f} ms", "s": "{:.2f} s", "MB": "{:,.0f} MB", "tx/s": "{:,.1f} tx/s"}


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    value: float

    def met(self, ours: float | None, reference: float | None) -> bool | None:
        """Whether ``ours`` meets the target; None when a figure it needs is missing."""
        if ours is None:
            return None
        if self.kind in ("ratio_at_least", "ratio_at_most"):
            ratio = ratio_of(ours, reference)
            if ratio is None:
                return None
            return ratio >= self.value if self.kind == "ratio_at_least" else ratio <= self.value
        return ours <= self.value if self.kind == "at_most" else ours < self.value

    def describe(self, unit: str) -> str:
        if self.kind == "ratio_at_least":
            return f">= {self.value:g} x"
        if self.kind == "ratio_at_most":
            return f"<= {self.value:g} x"
        sign = "<=" if self.kind == "at_most" else "<"
        return f"{sign} {self.value:g} {unit}"


@dataclass(frozen=True)
class Row:
    figure: str
    unit: str
    ours: float | None
    reference_name: str = ""
    reference: float | None = None
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return ratio_of(self.ours, self.reference) if self.reference_name else None

    @property
    def met(self) -> bool | None:
        return self.target.met(self.ours, self.reference) if self.target else None

    def cells(self) -> list[str]:
        reference = f"{self.reference_name} {amount(self.reference, self.unit)}" if self.reference_name else ""
        met = {True: "yes", False: "NO", None: "" if self.target is None else "?"}[self.met]
        return [
            self.figure,
            amount(self.ours, self.unit),
            reference,
            "" if self.ratio is None else f"{self.ratio:.2f}",
            self.target.describe(self.unit) if self.target else "",
            met,
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "unit": self.unit,
            "ours": self.ours,
            "reference_name": self.reference_name or None,
            "reference": self.reference,
            "ratio": self.ratio,
            "target": None if self.target is None else self.target.describe(self.unit),
            "met": self.met,
            "note": self.note or None,
        }


HEADER = ["figure", "ours", "reference", "ratio", "target", "met"]


def ratio_of(ours: float | None, reference: float | None) -> float | None:
    if ours is None or reference is None or reference == 0:
        return None
    return ours / reference


def amount(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return UNIT_FORMATS.get(unit, "{:,.2f} " + unit).format(value)


def text_table(rows: list[Row]) -> str:
    """A fixed-width table for the terminal."""
    lines = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]
    right = {1, 3}  # numbers are right-aligned

    def render(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in pairs)

    return "\n".join([render(HEADER), render(["-" * w for w in widths]), *(render(c) for c in lines[1:])])


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join(["---", "---:", "---", "---:", "---", "---"]) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def rows(f: dict[str, float | None], tickets: int | None = None, events: int | None = None) -> list[Row]:
    """The table of one run, from its figures by name (a figure that could not be measured is None or absent)."""

    def g(name: str) -> float | None:
        return f.get(name)

    listed = f"{tickets:,} tickets" if tickets else "tickets"
    rebuilt = f"{events:,} events" if events else "the run's events"
    return [
        Row(
            "create: POST /api/support-ticket",
            "/s",
            g("create_rate"),
            "bare app",
            g("bare_rate"),
            Target("ratio_at_least", 0.8),
        ),
        Row(
            "create vs eventsourcing",
            "/s",
            g("create_rate"),
            "eventsourcing",
            g("es_create_rate"),
            Target("ratio_at_least", 3),
        ),
        Row(
            "transition: POST /api/assign",
            "/s",
            g("assign_rate"),
            "bare app",
            g("bare_rate"),
            Target("ratio_at_least", 0.6),
        ),
        Row("transition vs eventsourcing", "/s", g("assign_rate"), "eventsourcing", g("es_assign_rate")),
        Row("create p50", "ms", g("create_p50"), "bare app p50", g("bare_p50")),
        Row("create p99", "ms", g("create_p99"), "bare app p99", g("bare_p99"), Target("ratio_at_most", 1.5)),
        Row("transition p99", "ms", g("assign_p99"), "bare app p99", g("bare_p99"), Target("ratio_at_most", 1.5)),
        Row(
            "get: GET /api/support-ticket/{id}",
            "/s",
            g("get_rate"),
            "/health",
            g("health_rate"),
            Target("ratio_at_least", 0.6),
        ),
        Row("get p99", "ms", g("get_p99"), "/health p99", g("health_p99")),
        Row(
            f"list: ?limit=50 of {listed}",
            "/s",
            g("list_rate"),
            "/health",
            g("health_rate"),
            Target("ratio_at_least", 0.3),
        ),
        Row("list p99", "ms", g("list_p99"), "/health p99", g("health_p99")),
        Row(
            "command p50 on a 1,000-event ticket",
            "ms",
            g("long_history_p50"),
            "new ticket",
            g("new_ticket_p50"),
            Target("ratio_at_most", 1.25),
        ),
        Row(
            f"rebuild: {rebuilt}",
            "/s",
            g("rebuild_rate"),
            "raw append",
            g("raw_append_rate"),
            Target("ratio_at_least", 1.5),
        ),
        Row("drain after a create burst", "s", g("drain_s"), target=Target("at_most", 1)),
        Row("200 idle live-update clients", "tx/s", g("idle_tx"), "no clients", g("quiet_tx"), Target("below", 10)),
        Row("RSS command-api", "MB", g("rss_command-api"), target=Target("below", 150)),
        Row("RSS projector", "MB", g("rss_projector"), target=Target("below", 150)),
        Row("RSS query-api", "MB", g("rss_query-api"), target=Target("below", 150)),
    ]
