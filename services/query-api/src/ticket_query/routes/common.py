"""What the query routes share: their documented error answers, the ticket id, and the one visibility check.

Customers see only tickets they requested; any other ticket is a 404, exactly as if it did not exist.
"""

from enum import Enum
from typing import Annotated, Any

from fastapi import Path

from ticket_readmodel.read_model import ReadModel, TicketRow
from ticket_service.errors import ApiError, documented
from ticket_workflow import Actor

from ..rendering import may_see

ERROR_DESCRIPTIONS = {
    403: "Staff only (agent, supervisor, admin)",
    404: "Unknown ticket, or one this customer did not request (the same answer); or no such version",
    422: "Invalid parameter (`field` names it): filter, sort, limit, cursor, role, tz, min_position",
    503: "`projection_behind`: the read model has not reached `min_position` within the bound (with "
    "`projected_position`, `requested_position`, `behind` and `Retry-After`); or the read model is unreachable",
}

TicketId = Annotated[str, Path(description="The ticket's aggregate id.")]
PREFIX = "/api"
TAGS: list[str | Enum] = ["query"]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries of the error responses of a query route (the shared error shape)."""
    responses = documented(*statuses)
    for status, description in ERROR_DESCRIPTIONS.items():
        if status in responses:
            responses[status]["description"] = description
    return responses


async def visible_ticket(model: ReadModel, ticket_id: str, actor: Actor) -> TicketRow:
    """The stored ticket if ``actor`` may read it; else 404 ``ticket_not_found``, whether it exists or not."""
    row = await model.ticket_row(ticket_id)
    if row is None or not may_see(row, actor):
        raise ApiError(404, "ticket_not_found", f"ticket {ticket_id!r} not found")
    return row
