"""A read model that fails: 503 with Retry-After when it is unreachable, 500 in the shared shape for a bug, the same
through the hot-read shortcut and the full route; unsafe text refused before either runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from ticket_query.app import create_app
from ticket_query.settings import QuerySettings
from ticket_service.auth import AuthSettings, mint_token

SECRET = "unit-test-secret-unit-test-secret"
AGENT = {"Authorization": f"Bearer {mint_token(SECRET, 'bob', ['agent'])}"}


class FailingReadModel:
    """Every read raises ``error``; the checkpoint answers, so read-your-writes waits do not hide the failure."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    async def checkpoint(self) -> int:
        return 10

    def __getattr__(self, name: str) -> Any:
        async def fail(*args: Any, **kwargs: Any) -> Any:
            raise self.error

        return fail


async def client_for(error: BaseException) -> httpx.AsyncClient:
    app = create_app(QuerySettings(auth=AuthSettings(secret=SECRET)), read_model=FailingReadModel(error))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://query.test")


# Plain requests take the shortcut; a query parameter it does not know sends them through the full route.
PATHS = [
    "/api/support-ticket/t-1",
    "/api/support-ticket/t-1?min_position=1",
    "/api/support-ticket",
    "/api/support-ticket?min_position=1",
    "/api/support-ticket/t-1/events",
    "/api/stats",
]


@pytest.fixture
async def unreachable() -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(ConnectionRefusedError("connection refused")) as client:
        yield client


@pytest.fixture
async def buggy() -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(RuntimeError("a bug")) as client:
        yield client


@pytest.mark.parametrize("path", PATHS)
async def test_an_unreachable_read_model_is_503_with_retry_after(unreachable: httpx.AsyncClient, path: str) -> None:
    answer = await unreachable.get(path, headers=AGENT)
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "store_unavailable" and answer.headers["retry-after"] == "1"


@pytest.mark.parametrize("path", PATHS)
async def test_a_bug_is_500_in_the_shared_shape(buggy: httpx.AsyncClient, path: str) -> None:
    answer = await buggy.get(path, headers=AGENT)
    assert answer.status_code == 500
    assert answer.json()["code"] == "internal_error" and answer.json()["request_id"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/support-ticket/ab%00cd", "path"),
        ("/api/support-ticket?q=%00", "q"),
        ("/api/support-ticket?place=%00", "place"),
    ],
)
async def test_nul_is_refused_before_the_shortcut(buggy: httpx.AsyncClient, path: str, field: str) -> None:
    answer = await buggy.get(path, headers=AGENT)
    assert (answer.status_code, answer.json()["code"], answer.json()["field"]) == (422, "invalid_request", field)


async def test_trace_is_405_with_allow(buggy: httpx.AsyncClient) -> None:
    answer = await buggy.request("TRACE", "/api/support-ticket")
    assert answer.status_code == 405 and answer.headers["allow"] == "GET"
