"""A ticket's life with staff-only text in every field that holds it, for the query side's privacy tests."""

from __future__ import annotations

from .scenarios import Ticket

MARK = "zq-staff-only"


def marker(n: int) -> str:
    """The n-th staff-only text; none is a substring of another."""
    return f"{MARK}-{n:02d}-"


MARKERS = [marker(n) for n in range(1, 13)]


def secret_life(requester: str = "alice") -> Ticket:
    """Escalated twice, resolved, closed, reopened, asked and answered, with internal notes, a note on every staff
    transition and an escalation reason; the last event is public, so a stream read up to it has seen the notes."""
    t = Ticket(requester=requester)
    t.create(subject="Laptop fan loud", description="It hums", priority="high")
    t.fire("assign", note=marker(1))
    t.fire("start_work", note=marker(2))
    t.note(marker(3))
    t.fire("escalate", reason=marker(4), note=marker(5))
    t.fire("resolve_escalated", actor="erin", roles=("supervisor",), resolution="Fan replaced", note=marker(6))
    t.fire("close", note=marker(7))
    t.fire("reopen", reason="Loud again")
    t.fire("assign", note=marker(8))
    t.fire("start_work")
    t.fire("request_info", message="Which model?", note=marker(9))
    t.fire("customer_reply", message="A T14")
    t.fire("escalate", reason=marker(10), note=marker(11))
    t.note(marker(12))
    t.reply("We are on it")
    return t


PUBLIC_TEXT = ["Fan replaced", "Loud again", "Which model?", "A T14", "We are on it"]
