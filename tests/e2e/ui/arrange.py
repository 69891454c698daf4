"""Arranging what a browser test needs through the help desk's HTTP API (debug tokens, tickets, transitions)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def post(base: str, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(f"{base}{path}", json.dumps(body).encode(), headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return dict(json.loads(response.read()))


def debug_token(base: str, user: str, role: str) -> str:
    """A development token (the server runs with DEBUG=true)."""
    return str(post(base, "/api/debug/token", {"sub": user, "roles": [role]})["token"])


class Api:
    """The help desk's HTTP API as one user, for arranging what a test needs."""

    def __init__(self, base: str, user: str, role: str) -> None:
        self.base = base
        self.user = user
        self.token = debug_token(base, user, role)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.base}{path}", data, headers, method=method)
        with urllib.request.urlopen(request, timeout=15) as response:
            return dict(json.loads(response.read()))

    def ticket(self, subject: str, requester: str, description: str = "") -> str:
        body = {"subject": subject, "requester": requester, "description": description or "Details follow."}
        return str(self.call("POST", "/api/support-ticket", body)["aggregate_id"])

    def fire(self, transition: str, ticket_id: str, **data: str) -> dict[str, Any]:
        body: dict[str, Any] = {"aggregate_id": ticket_id}
        if data:
            body["data"] = data
        return self.call("POST", f"/api/{transition}", body)


def set_sla_policy(admin: Api, targets: dict[str, Any], calendar: dict[str, Any] | None = None) -> int:
    """Save a service-level policy as an administrator (PUT /api/sla/policy over the current version); its version."""
    current = admin.call("GET", "/api/sla/policy")
    body = {"targets": targets, "calendar": calendar, "expected_version": current["version"]}
    return int(admin.call("PUT", "/api/sla/policy", body)["version"])
