"""The command API for tests of every layer: settings, tokens, an in-process client, a desk driving tickets."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI

from ticket_command.app import create_app
from ticket_command.settings import Settings
from ticket_service.auth import AuthSettings, mint_token
from ticket_workflow import SUPPORT_TICKET, may_fire
from ticket_workflow.ports import EventStore

SECRET = "command-api-test-secret-0123456789abcdef"

# Who may fire what, as the specification's permission table says (inheritance applied by hand).
SEED_MATRIX: dict[str, set[str]] = {
    "assign": {"agent", "supervisor", "admin"},
    "start_work": {"agent", "supervisor", "admin"},
    "escalate": {"agent", "supervisor", "admin"},
    "request_info": {"agent", "supervisor", "admin"},
    "customer_reply": {"customer"},
    "resolve": {"agent", "supervisor", "admin"},
    "resolve_escalated": {"supervisor", "admin"},
    "close": {"agent", "supervisor", "admin"},
    "reopen": {"customer"},
}
ROLES = ("customer", "agent", "supervisor", "admin")

# Transitions (and who fires them) that bring a new ticket to each place.
PATHS: dict[str, list[str]] = {
    "new": [],
    "assigned": ["assign"],
    "in_progress": ["assign", "start_work"],
    "escalated": ["assign", "start_work", "escalate"],
    "pending_customer": ["assign", "start_work", "request_info"],
    "resolved": ["assign", "start_work", "resolve"],
    "closed": ["assign", "start_work", "resolve", "close"],
}
SOURCE_PLACE = {
    "assign": "new",
    "start_work": "assigned",
    "escalate": "in_progress",
    "request_info": "in_progress",
    "customer_reply": "pending_customer",
    "resolve": "in_progress",
    "resolve_escalated": "escalated",
    "close": "resolved",
    "reopen": "closed",
}


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {"auth": AuthSettings(secret=SECRET), "relay_enabled": False, "debug": False}
    return Settings(**(values | overrides))


def bearer(sub: str, *roles: str, ttl: int = 3600, secret: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(secret, sub, list(roles), ttl_seconds=ttl)}"}


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running, behind an in-process HTTP client."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://command.test") as client,
    ):
        yield client


@contextlib.asynccontextmanager
async def client_for(store: EventStore, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(settings(**overrides), store=store)) as client:
        yield client


class Desk:
    """A customer, an agent and an admin driving tickets through the API."""

    def __init__(self, client: httpx.AsyncClient, customer: str = "alice") -> None:
        self.client = client
        self.customer = bearer(customer, "customer")
        self.agent = bearer("bob", "agent")
        self.admin = bearer("root", "admin")

    async def create(self, **body: Any) -> dict[str, Any]:
        response = await self.client.post("/api/support-ticket", headers=self.customer, json=body or None)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def fire(self, transition: str, ticket: str, headers: dict[str, str] | None = None, **body: Any) -> Any:
        by_customer = may_fire(SUPPORT_TICKET, {"customer"}, transition)  # who may, as the net says
        who = headers or (self.customer if by_customer else self.admin)
        return await self.client.post(f"/api/{transition}", headers=who, json={"aggregate_id": ticket, **body})

    async def ticket_in(self, place: str) -> str:
        ticket: str = (await self.create())["aggregate_id"]
        for transition in PATHS[place]:
            response = await self.fire(transition, ticket)
            assert response.status_code == 200, response.text
        return ticket
