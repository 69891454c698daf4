"""Typed reasons a command is refused. Each carries a stable machine-readable ``code``."""

from __future__ import annotations


class Rejection(Exception):
    code = "rejected"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidData(Rejection):
    code = "invalid_data"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class NotPermitted(Rejection):
    code = "forbidden"


class NotOwner(NotPermitted):
    code = "not_ticket_owner"


class TicketNotFound(Rejection):
    code = "ticket_not_found"


class TicketAlreadyExists(Rejection):
    code = "ticket_exists"


class NotEnabled(Rejection):
    code = "transition_not_enabled"

    def __init__(self, transition: str, place: str) -> None:
        super().__init__(f"transition {transition!r} is not enabled: the ticket is in {place!r}")
        self.transition = transition
        self.place = place


class VersionConflict(Rejection):
    """The ticket is no longer at the version a command was decided on; nothing was written.

    ``decide`` raises it when the caller's ``expected_version`` is stale (``actual`` known); an event store raises
    it when another writer appended to the stream first (``stream_id`` known, ``actual`` not).
    """

    code = "version_conflict"

    def __init__(self, expected: int, actual: int | None = None, *, stream_id: str | None = None) -> None:
        if actual is None:
            message = "the ticket was changed by another request at the same time; reload and retry"
        else:
            message = f"expected the ticket at version {expected}, it is at {actual}; reload and retry"
        super().__init__(message)
        self.expected = expected
        self.actual = actual
        self.stream_id = stream_id


class TicketClosed(Rejection):
    code = "ticket_closed"

    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"ticket {ticket_id!r} is closed: reopen it to write to it again")


class UnknownAssignee(Rejection):
    code = "unknown_assignee"

    def __init__(self, assignee: str) -> None:
        super().__init__(
            f"no staff member {assignee!r} is known: pick someone from the staff directory (GET /api/people)"
        )
        self.assignee = assignee
