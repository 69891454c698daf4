"""Tokens never reach the logs in full: uvicorn's access log line carries the query string."""

from __future__ import annotations

import logging

import pytest

from ticket_query.access_log import MaskTokens, mask_access_log, mask_tokens

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl"


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


def test_the_access_log_line_as_uvicorn_writes_it_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.access")
    logger.addFilter(MaskTokens())
    with caplog.at_level(logging.INFO, logger="test.access"):
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/api/stream?access_token={TOKEN}", "1.1", 200)
    [record] = caplog.records
    assert TOKEN not in record.getMessage()
    assert "/api/stream?access_token=*** HTTP/1.1" in record.getMessage()


def test_the_mask_is_installed_once_on_uvicorns_access_logger() -> None:
    access = logging.getLogger("uvicorn.access")
    mask_access_log()
    mask_access_log()
    assert sum(isinstance(f, MaskTokens) for f in access.filters) == 1
