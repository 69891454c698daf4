"""The SQL both read-model adapters run, written once: each adapter names its tables and parameters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .mapping import HALT_COLUMNS, HISTORY_COLUMNS, PEOPLE_COLUMNS, TICKET_COLUMNS

PROJECTION = "tickets"  # the checkpoint's (and halt's) row


@dataclass(frozen=True)
class Queries:
    table: Callable[[str], str]  # "tickets" -> the table as the adapter stores it
    param: Callable[[int], str]  # 1-based parameter number -> "$1" or "?1"

    def ticket(self, columns: str = TICKET_COLUMNS) -> str:
        return f"SELECT {columns} FROM {self.table('tickets')} WHERE id = {self.param(1)}"

    def history(self) -> str:
        """A ticket's events up to a version (all of them when it is NULL)."""
        p = self.param
        return (
            f"SELECT {HISTORY_COLUMNS} FROM {self.table('history')} WHERE ticket_id = {p(1)} "
            f"AND (CAST({p(2)} AS integer) IS NULL OR version <= {p(2)}) ORDER BY version"
        )

    def changes_after(self) -> str:
        """Events after a position, of one requester's tickets or all (NULL), at most so many."""
        p = self.param
        columns = ", ".join(f"h.{c.strip()}" for c in HISTORY_COLUMNS.split(","))
        return (
            f"SELECT {columns} FROM {self.table('history')} h JOIN {self.table('tickets')} t ON t.id = h.ticket_id "
            f"WHERE h.position > {p(1)} AND (CAST({p(2)} AS text) IS NULL OR t.requester = {p(2)}) "
            f"ORDER BY h.position LIMIT {p(3)}"
        )

    def checkpoint(self) -> str:
        return f"SELECT position FROM {self.table('checkpoint')} WHERE projection = {self.param(1)}"

    def advance(self) -> tuple[str, str]:
        """Move the checkpoint (projection, position); the halt it passes goes with it."""
        p = self.param
        return (
            f"UPDATE {self.table('checkpoint')} SET position = {p(2)} WHERE projection = {p(1)}",
            f"DELETE FROM {self.table('halt')} WHERE projection = {p(1)} AND position <= {p(2)}",
        )

    def record_halt(self) -> str:
        names = [c.strip() for c in HALT_COLUMNS.split(",")]
        updates = ", ".join(f"{n} = excluded.{n}" for n in names)
        marks = ", ".join(self.param(n) for n in range(1, len(names) + 2))
        return (
            f"INSERT INTO {self.table('halt')} (projection, {HALT_COLUMNS}) VALUES ({marks}) "
            f"ON CONFLICT (projection) DO UPDATE SET {updates}"
        )

    def recorded_halt(self) -> str:
        """The halt still ahead of the checkpoint."""
        columns = ", ".join(f"h.{c.strip()}" for c in HALT_COLUMNS.split(","))
        return (
            f"SELECT {columns} FROM {self.table('halt')} h JOIN {self.table('checkpoint')} c USING (projection) "
            f"WHERE h.projection = {self.param(1)} AND h.position > c.position"
        )

    def places(self) -> str:
        return f"SELECT place, tickets FROM {self.table('place_counts')} WHERE tickets <> 0"

    def buckets(self) -> str:
        """The latest quarter hours, newest first, at most so many."""
        return (
            f"SELECT bucket, created, resolved FROM {self.table('stats_buckets')} "
            f"ORDER BY bucket DESC LIMIT {self.param(1)}"
        )

    def people(self, condition: str) -> str:
        return f"SELECT {PEOPLE_COLUMNS} FROM {self.table('people')} WHERE {condition}"
