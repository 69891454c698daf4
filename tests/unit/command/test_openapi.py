"""The OpenAPI document names every error code of the README's error table, on every command route."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from ticket_workflow import SUPPORT_TICKET

README = Path(__file__).parents[3] / "services" / "command-api" / "README.md"
# What cannot happen when creating: there is no ticket yet to miss, to race on, or to own.
NOT_ON_CREATE = {"ticket_not_found", "transition_not_enabled", "version_conflict"}


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
    for transition in SUPPORT_TICKET.transitions:
        assert documented_codes(paths[f"/api/{transition.name}"]["post"]) == expected, transition.name
    create = {code: status for code, status in expected.items() if code not in NOT_ON_CREATE}
    assert documented_codes(paths["/api/support-ticket"]["post"]) == create


async def test_replayed_answers_are_documented(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "Idempotent-Replayed" in paths["/api/support-ticket"]["post"]["responses"]["201"]["headers"]
    assert "Idempotent-Replayed" in paths["/api/assign"]["post"]["responses"]["200"]["headers"]
