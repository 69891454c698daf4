"""The support-ticket net, exactly as the specification lays it out.

Event type names are the published wire contract: subscribers match on them, odd spellings included.
"""

from __future__ import annotations

from .effects import Effects, Writes
from .net import Arc, Net, Place, Role, Transition
from .validation import validate

CREATED = "Created"  # the creation event: puts the initial marking in place


def _t(name: str, event_type: str, source: str, target: str, description: str) -> Transition:
    return Transition(name, event_type, description, inputs=(Arc(source),), outputs=(Arc(target),))


SUPPORT_TICKET = validate(
    Net(
        name="support-ticket",
        places=(
            Place("new", "Ticket just created, awaiting triage", initial=1),
            Place("assigned", "Ticket assigned to an agent"),
            Place("in_progress", "Agent is actively working on ticket"),
            Place("escalated", "Ticket escalated to senior support"),
            Place("pending_customer", "Waiting for customer response"),
            Place("resolved", "Issue has been resolved"),
            Place("closed", "Ticket is closed"),
        ),
        transitions=(
            _t("assign", "Assigned", "new", "assigned", "Assign ticket to an agent"),
            _t("start_work", "StartWorked", "assigned", "in_progress", "Begin working on the ticket"),
            _t("escalate", "Escalateed", "in_progress", "escalated", "Escalate to senior support"),
            _t(
                "request_info",
                "RequestInfoed",
                "in_progress",
                "pending_customer",
                "Request more information from customer",
            ),
            _t(
                "customer_reply",
                "CustomerReplyed",
                "pending_customer",
                "in_progress",
                "Customer provides requested information",
            ),
            _t("resolve", "Resolveed", "in_progress", "resolved", "Mark issue as resolved from in_progress"),
            _t(
                "resolve_escalated",
                "ResolveEscalated",
                "escalated",
                "resolved",
                "Mark escalated issue as resolved",
            ),
            _t("close", "Closeed", "resolved", "closed", "Close the ticket"),
            _t("reopen", "Reopened", "closed", "new", "Customer reopens a closed ticket"),
        ),
        roles=(
            Role("customer", "End user who submits support tickets"),
            Role("agent", "First-line support agent who handles tickets", staff=True),
            Role("supervisor", "Senior support who handles escalations", inherits=("agent",)),
            Role("admin", "Full access to all operations", inherits=("supervisor",)),
        ),
        permissions={
            "assign": ("agent",),
            "start_work": ("agent",),
            "escalate": ("agent",),
            "request_info": ("agent",),
            "customer_reply": ("customer",),
            "resolve": ("agent",),
            "resolve_escalated": ("supervisor",),
            "close": ("agent",),
            "reopen": ("customer",),
        },
    )
)

# What each transition does to the ticket beside moving the token (see :class:`~ticket_workflow.effects.Effects`).
_RESOLVE = Effects(
    sets={"resolution": "resolution"},
    stamps=("resolved_at",),
    writes=(Writes("resolution", "resolution"),),
)
EFFECTS: dict[str, Effects] = {
    "assign": Effects(assigns="assignee"),
    "start_work": Effects(),
    "escalate": Effects(
        sets={"escalation_reason": "reason"}, writes=(Writes("reason", "escalation", staff_only=True),)
    ),
    "request_info": Effects(writes=(Writes("message", "request_info"),)),
    "customer_reply": Effects(writes=(Writes("message", "customer_reply"),), first_response=False),
    "resolve": _RESOLVE,
    "resolve_escalated": _RESOLVE,
    "close": Effects(stamps=("closed_at",)),
    "reopen": Effects(
        clears=("assignee", "resolved_at", "closed_at", "resolution", "escalation_reason"),
        counts=("reopen_count",),
        writes=(Writes("reason", "reopen"),),
        first_response=False,
    ),
}

# The conversation beside the workflow: events of the ticket's stream that leave the net's marking as it is.
REPLY_ADDED = "ReplyAdded"  # a public reply, by the requester or by staff; not on a closed ticket
NOTE_ADDED = "InternalNoteAdded"  # an internal note, staff only; never shown to a customer
CONVERSATION_EVENTS: tuple[str, ...] = (REPLY_ADDED, NOTE_ADDED)
NO_REPLIES_IN: frozenset[str] = frozenset({"closed"})  # places whose tickets take notes but no public reply

EVENT_TYPES: tuple[str, ...] = (
    CREATED,
    *(t.event_type for t in SUPPORT_TICKET.transitions),
    *CONVERSATION_EVENTS,
)
TRANSITION_BY_EVENT: dict[str, str] = {t.event_type: t.name for t in SUPPORT_TICKET.transitions}
