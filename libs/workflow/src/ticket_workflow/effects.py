"""What firing a transition does to the ticket beside moving the token, as data.

Each transition of the net has one :class:`Effects`; :mod:`.definition` holds the table of the support-ticket net.
``decide`` and ``evolve`` apply it, the projection counts resolutions by it, :mod:`.visibility` derives the
staff-only fields from it, and the AsyncAPI document and the tests read it. Field names are those of
:class:`~ticket_workflow.state.TicketState` (ticket fields) and of the transition's data schema (data fields).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

NOTE = "note"  # the data field every transition accepts: a staff member's note, kept as an internal note


@dataclass(frozen=True)
class Writes:
    """A text of the command's data the ticket keeps in its conversation (public) or its notes (staff only)."""

    field: str  # the data field holding the text; nothing is written when it is absent or empty
    kind: str  # the ``kind`` of the message it becomes
    staff_only: bool = False  # an internal note: customers never read the text, nor a ticket field set from it


@dataclass(frozen=True)
class Effects:
    """The changes one transition makes to the ticket, applied in this order: clears, assigns, sets, stamps,
    counts, writes, then the staff member's ``note``."""

    # The data field naming the ticket's new assignee; absent from the command's data, it is the caller.
    # Only the caller or a known staff member may be named.
    assigns: str | None = None
    sets: Mapping[str, str] = field(default_factory=dict)  # ticket field -> data field (None when absent)
    stamps: tuple[str, ...] = ()  # ticket fields set to the event's time
    clears: tuple[str, ...] = ()  # ticket fields set back to their default
    counts: tuple[str, ...] = ()  # ticket fields incremented by one
    writes: tuple[Writes, ...] = ()
    first_response: bool = True  # firing it answers the customer (``first_response_at`` when not yet set)

    @property
    def resolves(self) -> bool:
        """Counted as a resolution in the stats: it stamps ``resolved_at``."""
        return "resolved_at" in self.stamps

    @property
    def staff_only_data(self) -> frozenset[str]:
        """Data fields a customer never reads: the note, and every text written as an internal note."""
        return frozenset({NOTE, *(w.field for w in self.writes if w.staff_only)})

    @property
    def staff_only_ticket_fields(self) -> frozenset[str]:
        """Ticket fields set from a staff-only data field."""
        hidden = self.staff_only_data
        return frozenset(target for target, source in self.sets.items() if source in hidden)

    def data_fields(self) -> frozenset[str]:
        """Every data field these effects read."""
        assigns = {self.assigns} if self.assigns else set()
        return frozenset({NOTE, *assigns, *self.sets.values(), *(w.field for w in self.writes)})

    def ticket_fields(self) -> frozenset[str]:
        """Every ticket field these effects change (the conversation and notes aside)."""
        assignee = {"assignee"} if self.assigns else set()
        return frozenset({*assignee, *self.sets, *self.stamps, *self.clears, *self.counts})

    def describe(self) -> dict[str, object]:
        """JSON-ready, for ``/api/schema``."""
        return {
            "assigns": self.assigns,
            "sets": dict(self.sets),
            "stamps": list(self.stamps),
            "clears": list(self.clears),
            "counts": list(self.counts),
            "writes": [{"field": w.field, "kind": w.kind, "staff_only": w.staff_only} for w in self.writes],
            "first_response": self.first_response,
            "resolves": self.resolves,
        }


def problems(
    effects: Mapping[str, Effects],
    transitions: Collection[str],
    ticket_fields: Collection[str],
    data_fields: Mapping[str, Collection[str]],
) -> list[str]:
    """Every mismatch between an effects table and the net, the ticket and the data schemas it names."""
    found = [f"transition {t!r} has no effects" for t in transitions if t not in effects]
    found += [f"effects of unknown transition {t!r}" for t in effects if t not in transitions]
    for name, effect in effects.items():
        accepted = data_fields.get(name, ())
        found += [
            f"effects of {name!r} name unknown ticket field {f!r}"
            for f in sorted(effect.ticket_fields())
            if f not in ticket_fields
        ]
        found += [
            f"effects of {name!r} read unknown data field {f!r}"
            for f in sorted(effect.data_fields())
            if f not in accepted
        ]
    return found
