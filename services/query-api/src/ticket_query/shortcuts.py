"""Ordinary reads skip FastAPI's per-request parameter solving, which was a third of a ticket read's cost.

A route of class :class:`ShortcutRoute` first offers the request to its shortcut. The shortcut accepts only
requests whose every input is trivially valid (known query parameters, each once, within their declared bounds;
no read-your-writes wait) and calls the very endpoint function with them; anything else, including every
request FastAPI would refuse, goes through the route's full handling. The route keeps its declared parameters,
so the OpenAPI document, the validation and the error answers stay the route's own.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from ticket_readmodel.read_model import SORTS

Shortcut = Callable[[Request], Awaitable[Response | None]]
LIMIT = re.compile(r"^(?:[1-9][0-9]?|100)$")  # 1..100 in the plainest spelling; others get full validation
MAX_TEXT = 200


def shortcut_route(shortcuts: Mapping[Callable[..., Any], Shortcut]) -> type[APIRoute]:
    """A route class answering through ``shortcuts[endpoint]`` when that shortcut takes the request."""

    class ShortcutRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            full = super().get_route_handler()
            endpoint = self.endpoint

            async def handler(request: Request) -> Response:
                # Looked up per request: the shortcut is registered once the endpoint exists, after the route.
                shortcut = shortcuts.get(endpoint)
                answer = await shortcut(request) if shortcut is not None else None
                return answer if answer is not None else await full(request)

            return handler

    return ShortcutRoute


def plain_query(request: Request, known: frozenset[str]) -> dict[str, str] | None:
    """The query parameters when all are ``known`` and given once each, else None."""
    raw = request.scope["query_string"]
    if not raw:
        return {}
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    given = dict(pairs)
    if len(given) != len(pairs) or not given.keys() <= known:
        return None
    return given


def waits(request: Request) -> bool:
    """Whether the request asks for a read-your-writes wait (those take the full route)."""
    return b"x-min-position" in dict(request.scope["headers"])


LIST_PARAMETERS = frozenset({"place", "assignee", "requester", "priority", "q", "sla", "sort", "limit", "cursor"})


def list_arguments(request: Request) -> dict[str, Any] | None:
    """The list route's arguments from a plain query, or None when it needs FastAPI's validation."""
    if waits(request):
        return None
    given = plain_query(request, LIST_PARAMETERS)
    if given is None:
        return None
    arguments: dict[str, Any] = dict(given)
    if "limit" in given:
        if not LIMIT.match(given["limit"]):
            return None
        arguments["limit"] = int(given["limit"])
    if "sort" in given and given["sort"] not in SORTS:
        return None
    if len(given.get("q", "")) > MAX_TEXT:
        return None
    return arguments
