"""Every end-to-end session ends with a scan of the services' logs for tokens and secrets (:mod:`.logscan`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .logscan import LogScan, watching


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_service_logs() -> Iterator[LogScan]:
    """Watches the service processes, tokens and secrets of the session; fails it if a log line holds one."""
    scan = LogScan()
    yield from watching(scan)
    found = scan.findings()
    if found:
        shown = "\n".join(found[:30]) + (f"\n... and {len(found) - 30} more" if len(found) > 30 else "")
        pytest.fail(f"{len(found)} service log line(s) hold a token or a secret:\n{shown}", pytrace=False)
