"""docs/api-contract.md names every route of every service, and names no route a service does not have.

Each service's app is built as the other unit tests build it (nothing connects while building, no server), its
routes are walked, and the ``(method, path)`` pairs are compared with the rows of the tables in the service's
section of the contract (``## Command API``, ``## Query API``, ``## Projector``, ``## Webhooks``). A row names a
route when its first cell is an HTTP method and its second cell holds the path in backticks; a cell may hold
several paths (`` `/health`, `/ready` ``), a path may carry its query string (`` `/api/stats?days=30` ``), and the
names of path parameters do not matter (`` `{id}` `` in the contract is ``{ticket_id}`` in the app: a client never
sees them). `` `/api/{transition}` `` stands for one route per transition of the workflow net.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tests.support.command_api import settings as command_settings
from ticket_command.app import create_app as create_command_app
from ticket_embedded.app import create_app as create_embedded_app
from ticket_embedded.settings import EmbeddedSettings
from ticket_projector.app import create_app as create_projector_app
from ticket_projector.settings import ProjectorSettings
from ticket_query.app import create_app as create_query_app
from ticket_query.settings import QuerySettings
from ticket_service.auth import AuthSettings
from ticket_webhooks import create_app as create_webhooks_app
from ticket_webhooks.settings import WebhooksSettings
from ticket_workflow import SUPPORT_TICKET

CONTRACT = Path(__file__).parents[2] / "docs" / "api-contract.md"
SECRET = "api-contract-doc-test-secret-0123456789abcdef"
AUTH = AuthSettings(secret=SECRET)
SECTIONS = {"command": "Command API", "query": "Query API", "projector": "Projector", "webhooks": "Webhooks"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# FastAPI's Swagger UI and ReDoc pages: HTML for a person reading the OpenAPI document, which is itself in the
# contract (`/openapi.json`); no client calls them and the gateway does not route them.
FRAMEWORK_PAGES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
# Placeholders that stand for literal path segments rather than for a path parameter.
EXPANDED = {"{transition}": SUPPORT_TICKET.transition_names}

Route = tuple[str, str]


def command_app() -> FastAPI:
    # DEBUG without a key: the only configuration with every route (the token route is mounted only there).
    with pytest.warns(UserWarning, match="development secret"):
        return create_command_app(command_settings(auth=AuthSettings(), debug=True))


def query_app() -> FastAPI:
    return create_query_app(QuerySettings(auth=AUTH))


def projector_app() -> FastAPI:
    return create_projector_app(ProjectorSettings(auth=AUTH))  # its lifespan (Postgres, Redis) is not entered


def webhooks_app() -> FastAPI:
    return create_webhooks_app(WebhooksSettings(auth=AUTH, webhooks_secret_key="a" * 43 + "="))


APPS = {"command": command_app, "query": query_app, "projector": projector_app, "webhooks": webhooks_app}


def _flat(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route, those of included routers with their prefixes too."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)  # an included router
        yield from contexts() if contexts is not None else [route]


def _template(path: str) -> str:
    """The path with every parameter unnamed: ``/api/support-ticket/{ticket_id}`` -> ``/api/support-ticket/{}``."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def app_routes(app: FastAPI) -> set[Route]:
    """``(method, template)`` of every route the app serves; HEAD is left out (it goes with GET)."""
    return {
        (method, _template(route.path))
        for route in _flat(app.routes)
        if route.path not in FRAMEWORK_PAGES
        for method in route.methods or ()
        if method != "HEAD"
    }


def section(text: str, title: str) -> str:
    """The text of the ``## <title>`` section, up to the next ``## `` heading."""
    found = re.search(rf"^## {re.escape(title)}\b.*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert found is not None, f"docs/api-contract.md has no '## {title}' section"
    return found.group(0)


def documented_routes(text: str) -> set[Route]:
    """``(method, template)`` of every table row of ``text`` naming a route."""
    routes: set[Route] = set()
    for line in text.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]
        if len(cells) < 4 or cells[0] != "" or cells[1] not in METHODS:
            continue
        for path in re.findall(r"`(/[^`]*)`", cells[2]):
            path = path.split("?", 1)[0]
            for placeholder, names in EXPANDED.items():
                if placeholder in path:
                    routes |= {(cells[1], _template(path.replace(placeholder, name))) for name in names}
                    break
            else:
                routes.add((cells[1], _template(path)))
    return routes


@pytest.fixture(scope="module")
def contract() -> str:
    return CONTRACT.read_text()


def test_the_contract_parser_reads_rows_cells_and_placeholders() -> None:
    rows = """
| Method | Path | Answer |
|---|---|---|
| GET | `/api/a/{id}?x=&y=` (staff) | `{"a": 1 \\| null}`, see `/api/not-this-one` |
| POST | `/api/{transition}` | 200 |
| GET | `/health`, `/ready` (`lag`) | |
Prose naming `GET /api/prose` is not a row.
"""
    transitions = {("POST", f"/api/{name}") for name in SUPPORT_TICKET.transition_names}
    assert documented_routes(rows) == {("GET", "/api/a/{}"), ("GET", "/health"), ("GET", "/ready")} | transitions


@pytest.mark.parametrize("service", list(SECTIONS))
def test_every_route_of_the_service_is_in_its_section(service: str, contract: str) -> None:
    missing = app_routes(APPS[service]()) - documented_routes(section(contract, SECTIONS[service]))
    assert not missing, f"routes of the {service} service missing from its section of docs/api-contract.md: {missing}"


@pytest.mark.parametrize("service", list(SECTIONS))
def test_every_route_the_section_names_exists_in_the_service(service: str, contract: str) -> None:
    stale = documented_routes(section(contract, SECTIONS[service])) - app_routes(APPS[service]())
    assert not stale, f"docs/api-contract.md names routes the {service} service does not have: {stale}"


def test_every_route_of_the_one_process_is_a_documented_route(contract: str, tmp_path: Path) -> None:
    """``make run`` serves the services' routes in one app, and none of its own."""
    settings = EmbeddedSettings(db_path=str(tmp_path / "desk.db"), debug=False, auth=AUTH, frontend_dir=None)
    documented = set().union(*(documented_routes(section(contract, title)) for title in SECTIONS.values()))
    unknown = app_routes(create_embedded_app(settings)) - documented
    assert not unknown, f"routes of the embedded app in no service's section of docs/api-contract.md: {unknown}"
