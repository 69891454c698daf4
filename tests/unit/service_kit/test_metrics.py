"""``/metrics`` of the shell: the HTTP metrics move as requests flow, by route template (never a raw path), in a
registry of each app's own; every service and the embedded app answer it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.support.command_api import settings as command_settings
from tests.support.metrics import moved, scrape, value
from ticket_command.app import create_app as create_command_app
from ticket_embedded.app import create_app as create_embedded_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_projector.app import create_app as create_projector_app
from ticket_projector.settings import ProjectorSettings
from ticket_query.app import create_app as create_query_app
from ticket_query.settings import QuerySettings
from ticket_readmodel.sqlite import SqliteReadModel
from ticket_service.auth import AuthSettings, mint_token
from ticket_service.shell import create_shell

TEMPLATE = "/api/support-ticket/{ticket_id}"
SECRET = "metrics-test-secret-0123456789abcdef"
AUTH = AuthSettings(secret=SECRET)


def shell() -> FastAPI:
    app = create_shell(title="shell", version="0", max_body_bytes=64)

    @app.get(TEMPLATE)
    async def ticket(ticket_id: str) -> dict[str, str]:
        return {"id": ticket_id}

    @app.post("/api/echo")
    async def echo(body: dict[str, str]) -> dict[str, str]:
        return body

    @app.get("/api/bug")
    async def bug() -> None:
        raise KeyError("a bug")

    return app


def client_of(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://shell")


async def test_requests_are_counted_and_timed_by_the_route_template_never_by_the_raw_path() -> None:
    async with client_of(shell()) as client:
        before = await scrape(client)
        for ticket_id in ("t-4711", "t-4712"):
            assert (await client.get(f"/api/support-ticket/{ticket_id}")).status_code == 200
        after = await scrape(client)
    labels = {"method": "GET", "route": TEMPLATE}
    assert moved(before, after, "http_requests_total", status="200", **labels) == 2
    assert moved(before, after, "http_request_duration_seconds_count", **labels) == 2
    assert value(after, "http_request_duration_seconds_bucket", le="+Inf", **labels) == 2
    label_values = {v for _, sample_labels in after for _, v in sample_labels}
    assert not any("t-47" in v for v in label_values), label_values


async def test_unmatched_paths_refusals_and_failures_are_counted_with_their_status() -> None:
    async with client_of(shell()) as client:
        before = await scrape(client)
        assert (await client.get("/no/such/path/t-4711")).status_code == 404
        assert (await client.get("/api/support-ticket/a%00b")).status_code == 422  # refused before routing
        too_large = await client.post("/api/echo", content=b"x" * 65, headers={"content-type": "application/json"})
        assert too_large.status_code == 413
        assert (await client.get("/api/bug")).status_code == 500
        assert (await client.request("PROPFIND", "/api/support-ticket/t-1")).status_code == 405
        after = await scrape(client)
    assert moved(before, after, "http_requests_total", method="GET", route="other", status="404") == 1
    assert moved(before, after, "http_requests_total", method="GET", route="other", status="422") == 1
    assert moved(before, after, "http_requests_total", method="POST", route="other", status="413") == 1
    assert moved(before, after, "http_requests_total", method="GET", route="/api/bug", status="500") == 1
    assert moved(before, after, "http_requests_total", method="other", route=TEMPLATE, status="405") == 1


async def test_metrics_need_no_token_are_not_in_the_openapi_document_and_hold_the_process() -> None:
    async with client_of(shell()) as client:
        samples = await scrape(client)
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/metrics" not in paths
    assert value(samples, "process_cpu_seconds_total") >= 0
    assert ("process_resident_memory_bytes", frozenset()) in samples


async def test_each_app_has_its_own_registry() -> None:
    one, other = shell(), shell()
    async with client_of(one) as first, client_of(other) as second:
        before = await scrape(second)
        await first.get("/api/support-ticket/t-1")
        after = await scrape(second)
        mine = await scrape(first)
    labels = {"method": "GET", "route": TEMPLATE, "status": "200"}
    assert value(mine, "http_requests_total", **labels) == 1
    assert moved(before, after, "http_requests_total", **labels) == 0


async def command_app(stack: AsyncExitStack, tmp: Path) -> FastAPI:
    db = await SqliteDatabase.open(":memory:")
    stack.push_async_callback(db.close)
    return create_command_app(command_settings(auth=AUTH), store=await SqliteEventStore.create(db))


async def query_app(stack: AsyncExitStack, tmp: Path) -> FastAPI:
    db = await SqliteDatabase.open(":memory:")
    stack.push_async_callback(db.close)
    read_model = SqliteReadModel(db)
    await read_model.migrate()
    return create_query_app(QuerySettings(auth=AUTH), read_model=read_model)


async def projector_app(stack: AsyncExitStack, tmp: Path) -> FastAPI:
    return create_projector_app(ProjectorSettings())  # its lifespan (Postgres, Redis) is not entered here


@pytest.fixture(params=["command", "query", "projector"])
async def service(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    build = {"command": command_app, "query": query_app, "projector": projector_app}[request.param]
    async with AsyncExitStack() as stack:
        app = await build(stack, tmp_path)
        yield await stack.enter_async_context(client_of(app))


async def test_every_service_answers_metrics_with_its_requests(service: httpx.AsyncClient) -> None:
    before = await scrape(service)
    await service.get("/health")
    after = await scrape(service)
    assert moved(before, after, "http_requests_total", method="GET", route="/health", status="200") == 1


async def test_the_embedded_app_is_one_registry_for_the_one_process(tmp_path: Path) -> None:
    app = create_embedded_app(EmbeddedSettings(db_path=str(tmp_path / "desk.db"), debug=False, auth=AUTH))
    bearer = {"Authorization": f"Bearer {mint_token(SECRET, 'alice', ['customer'])}"}
    async with app.router.lifespan_context(app), client_of(app) as http:
        before = await scrape(http)
        created = await http.post("/api/support-ticket", headers=bearer)
        assert created.status_code == 201
        ticket_id = created.json()["aggregate_id"]
        assert (await http.get(f"/api/support-ticket/{ticket_id}", headers=bearer)).status_code == 200
        after = await scrape(http)
    assert moved(before, after, "http_requests_total", method="POST", route="/api/support-ticket", status="201") == 1
    assert moved(before, after, "http_requests_total", method="GET", route=TEMPLATE, status="200") == 1
    assert moved(before, after, "ticket_commands_total", command="create", outcome="accepted") == 1
    assert moved(before, after, "ticket_events_appended_total") == 1
    assert not any(ticket_id in v for _, labels in after for _, v in labels)


def test_the_gateway_routes_no_metrics_to_the_public() -> None:
    template = (Path(__file__).parents[3] / "deploy" / "gateway" / "nginx.conf.template").read_text()
    blocks = re.findall(r"location\s+(?:=\s+)?(\S+)\s*\{([^}]*)\}", template)
    proxied = {path for path, body in blocks if "proxy_pass" in body}
    assert proxied == {
        "/ready",
        "/_ready/command-api",
        "/asyncapi.json",
        "/api/stream",
        "/api/",
        "/api/admin/",
        "/api/webhooks/",
        "/api/privacy/",
    }
    assert "metrics" not in template
