"""The services' logging: JSON or text lines, uvicorn through the same handler with its access log off, and one
line per request from the shell's middleware, with the route template, the request id and the caller, never a
token."""

from __future__ import annotations

import copy
import io
import json
import logging
from collections.abc import Iterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI
from uvicorn.config import LOGGING_CONFIG

from ticket_service.auth import Actor, AuthSettings, TokenVerifier, mint_token
from ticket_service.logs import JsonFormatter, TextFormatter, configure_logging, logging_config, mask_tokens
from ticket_service.security import current_actor, use_verifier
from ticket_service.shell import create_shell

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"
SECRET = "logs-test-secret-0123456789abcdef-xyz"
TEMPLATE = "/api/support-ticket/{ticket_id}"


@pytest.mark.parametrize(
    ("target", "masked"),
    [
        (f"/api/stream?access_token={TOKEN}", "/api/stream?access_token=***"),
        (f"/api/stream?x=1&access_token={TOKEN}&y=2", "/api/stream?x=1&access_token=***&y=2"),
        (f"/api/stream?access%5Ftoken={TOKEN}", "/api/stream?access%5Ftoken=***"),
        ("/api/support-ticket?q=access_token", "/api/support-ticket?q=access_token"),
        ("/api/support-ticket", "/api/support-ticket"),
    ],
)
def test_token_parameters_are_masked(target: str, masked: str) -> None:
    assert mask_tokens(target) == masked


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("ticket.test", logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_json_line_is_one_object_with_the_extra_fields() -> None:
    line = JsonFormatter().format(record("applied %d", 3, first_position=7, correlation_ids=["r-1", "r-2"]))
    assert "\n" not in line
    body = json.loads(line)
    assert body["message"] == "applied 3" and body["level"] == "info" and body["logger"] == "ticket.test"
    assert body["first_position"] == 7 and body["correlation_ids"] == ["r-1", "r-2"]
    assert body["time"].endswith("+00:00")


def test_a_text_line_is_readable_with_key_value_fields() -> None:
    line = TextFormatter().format(record("GET %s", f"/api/stream?access_token={TOKEN}", request_id="r-9"))
    assert "INFO ticket.test: GET /api/stream?access_token=*** request_id=r-9" in line
    assert TOKEN not in line


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="json or text"):
        logging_config("info", "yaml")  # type: ignore[arg-type]


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    uvicorn_config = copy.deepcopy(LOGGING_CONFIG)
    yield
    logging.captureWarnings(False)
    root.handlers[:] = handlers
    root.setLevel(level)
    LOGGING_CONFIG.clear()
    LOGGING_CONFIG.update(uvicorn_config)


@pytest.mark.usefixtures("restored_logging")
def test_configure_logging_puts_uvicorn_on_the_same_handler_without_its_access_log() -> None:
    configure_logging("warning", "json")
    root = logging.getLogger()
    assert root.level == logging.WARNING
    assert [type(h.formatter) for h in root.handlers] == [JsonFormatter]
    # uvicorn.run's default log_config is this very dict: uvicorn re-applies ours, in each worker too.
    assert LOGGING_CONFIG["root"]["handlers"] == ["stderr"]
    assert LOGGING_CONFIG["loggers"]["uvicorn.access"]["propagate"] is False
    assert logging.getLogger("uvicorn.error").propagate and not logging.getLogger("uvicorn.error").handlers


def shell() -> FastAPI:
    app = create_shell(title="shell", version="0")
    use_verifier(app, TokenVerifier(AuthSettings(secret=SECRET)))

    @app.get(TEMPLATE)
    async def ticket(ticket_id: str, actor: Annotated[Actor, Depends(current_actor)]) -> dict[str, str]:
        return {"id": ticket_id, "by": actor.sub}

    return app


async def test_one_line_per_request_with_route_request_id_actor_and_no_token(caplog: pytest.LogCaptureFixture) -> None:
    token = mint_token(SECRET, "alice", ["customer"])
    transport = httpx.ASGITransport(app=shell(), client=("10.1.2.3", 4567))
    async with httpx.AsyncClient(transport=transport, base_url="http://shell") as client:
        with caplog.at_level(logging.INFO, logger="ticket.access"):
            answer = await client.get(
                "/api/support-ticket/t-4711",
                params={"access_token": token, "view": "full"},
                headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-logs-1"},
            )
            refused = await client.get("/api/support-ticket/t-4712")
    assert answer.status_code == 200 and refused.status_code == 401
    lines = [r for r in caplog.records if r.name == "ticket.access"]
    assert len(lines) == 2
    first = json.loads(JsonFormatter().format(lines[0]))
    assert first["method"] == "GET" and first["route"] == TEMPLATE and first["path"] == "/api/support-ticket/t-4711"
    assert first["status"] == 200 and first["request_id"] == "req-logs-1"
    assert first["actor"] == "alice" and first["client"] == "10.1.2.3"
    assert first["query"] == "access_token=***&view=full"
    assert isinstance(first["duration_ms"], float)
    second = json.loads(JsonFormatter().format(lines[1]))
    assert second["status"] == 401 and "actor" not in second and second["request_id"] != "req-logs-1"
    for made in lines:
        for formatter in (JsonFormatter(), TextFormatter()):
            assert token not in formatter.format(made)


async def test_no_request_line_when_the_level_hides_it() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    access = logging.getLogger("ticket.access")
    access.addHandler(handler)
    access.setLevel(logging.WARNING)
    try:
        transport = httpx.ASGITransport(app=shell())
        async with httpx.AsyncClient(transport=transport, base_url="http://shell") as client:
            assert (await client.get("/health")).status_code == 200
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    assert out.getvalue() == ""


def test_a_line_quoting_a_masked_target_keeps_what_follows() -> None:
    line = mask_tokens(f"GET /api/stream?access_token={TOKEN}&x=1 200 3.1ms then ?token={TOKEN} end")
    assert line == "GET /api/stream?access_token=***&x=1 200 3.1ms then ?token=*** end"
