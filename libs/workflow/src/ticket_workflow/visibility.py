"""What a customer may read: the one place every read path asks which fields are for staff only.

Every read path (ticket, list, history, time travel, live stream, pages) asks these functions before answering a
customer; staff read everything. The tables are derived from the net's effects (:data:`~.definition.EFFECTS`):
staff-only are

- internal notes (``InternalNoteAdded`` events, the ticket's ``notes``);
- the ``note`` of every transition (kept in the audit trail for colleagues);
- each text a transition writes as an internal note (the escalation ``reason`` of ``Escalateed``), and the
  ticket field set from it (``escalation_reason``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .definition import EFFECTS, NOTE_ADDED, SUPPORT_TICKET
from .effects import NOTE
from .roles import is_staff

STAFF_ONLY_EVENTS: frozenset[str] = frozenset({NOTE_ADDED})
STAFF_ONLY_DATA: dict[str | None, frozenset[str]] = {
    None: frozenset({NOTE}),  # every event type
    **{t.event_type: EFFECTS[t.name].staff_only_data for t in SUPPORT_TICKET.transitions},
}
STAFF_ONLY_TICKET_FIELDS: tuple[str, ...] = (
    "notes",
    *sorted({name for effects in EFFECTS.values() for name in effects.staff_only_ticket_fields}),
)


def sees_everything(roles: Iterable[str]) -> bool:
    """Staff (agent and every role inheriting it) read staff-only fields; nobody else does."""
    try:
        return is_staff(SUPPORT_TICKET, roles)
    except ValueError:
        return False


def visible_event_data(event_type: str, data: Mapping[str, Any]) -> dict[str, Any] | None:
    """An event's data as a customer may read it; None when the whole event is staff-only."""
    if event_type in STAFF_ONLY_EVENTS:
        return None
    hidden = STAFF_ONLY_DATA.get(event_type, STAFF_ONLY_DATA[None])
    return {key: value for key, value in data.items() if key not in hidden}


def visible_ticket(ticket: Mapping[str, Any]) -> dict[str, Any]:
    """A ticket (as a JSON-ready mapping) as a customer may read it: staff-only fields emptied, not removed, so
    the shape of the answer is the same for everyone."""
    shown = dict(ticket)
    for name in STAFF_ONLY_TICKET_FIELDS:
        if name in shown:
            shown[name] = [] if name == "notes" else None
    return shown
