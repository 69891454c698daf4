"""The OpenAPI document names every error code of the README's error table, on every command route."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from ticket_workflow import SUPPORT_TICKET

README = Path(__file__).parents[3] / "services" / "command-api" / "README.md"
# What cannot happen when creating: there is no ticket yet to miss, to race on, to own, to assign or to write to.
NOT_ON_CREATE = {"ticket_not_found", "transition_not_enabled", "version_conflict", "ticket_closed", "unknown_assignee"}
# Only an assign names an assignee; only a public reply is refused on a closed ticket; a message fires no transition.
NOT_ON_TRANSITIONS = {"ticket_closed", "unknown_assignee"}
NOT_ON_ASSIGN = {"ticket_closed"}
NOT_ON_REPLIES = {"transition_not_enabled", "unknown_assignee"}
NOT_ON_NOTES = {"transition_not_enabled", "unknown_assignee", "ticket_closed"}


def readme_error_codes() -> dict[str, int]:
    """``code -> status`` from the README's ``## Errors`` table."""
    section = README.read_text().split("## Errors", 1)[1].split("\n## ", 1)[0]
    codes: dict[str, int] = {}
    for status, cell in re.findall(r"^\| (\d{3}) \| ([^|]+) \|", section, flags=re.MULTILINE):
        for code in re.findall(r"`([a-z_]+)`", cell):
            codes[code] = int(status)
    return codes


def documented_codes(operation: dict[str, object]) -> dict[str, int]:
    found: dict[str, int] = {}
    responses = operation["responses"]
    assert isinstance(responses, dict)
    for status, response in responses.items():
        examples = response.get("content", {}).get("application/json", {}).get("examples", {})
        for name, example in examples.items():
            assert example["value"]["code"] == name
            assert example["value"]["success"] is False
            found[name] = int(status)
    return found


async def test_every_command_route_documents_every_error_code(client: httpx.AsyncClient) -> None:
    expected = readme_error_codes()
    assert len(expected) >= 17 and expected["body_too_large"] == 413  # the table was read
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert (expected["ticket_closed"], expected["unknown_assignee"]) == (409, 422)

    def but(left_out: set[str]) -> dict[str, int]:
        return {code: status for code, status in expected.items() if code not in left_out}

    for transition in SUPPORT_TICKET.transitions:
        left_out = NOT_ON_ASSIGN if transition.name == "assign" else NOT_ON_TRANSITIONS
        assert documented_codes(paths[f"/api/{transition.name}"]["post"]) == but(left_out), transition.name
    assert documented_codes(paths["/api/support-ticket"]["post"]) == but(NOT_ON_CREATE)
    assert documented_codes(paths["/api/support-ticket/{ticket_id}/replies"]["post"]) == but(NOT_ON_REPLIES)
    assert documented_codes(paths["/api/support-ticket/{ticket_id}/notes"]["post"]) == but(NOT_ON_NOTES)


async def test_replayed_answers_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "Idempotent-Replayed" in paths["/api/support-ticket"]["post"]["responses"]["201"]["headers"]
    assert "Idempotent-Replayed" in paths["/api/assign"]["post"]["responses"]["200"]["headers"]
    for route in ("replies", "notes"):
        assert (
            "Idempotent-Replayed"
            in paths[f"/api/support-ticket/{{ticket_id}}/{route}"]["post"]["responses"]["200"]["headers"]
        )
