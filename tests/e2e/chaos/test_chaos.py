"""The short form of ``make chaos``: a few faults against the stack as real processes, on private servers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .scenarios import SHORT, run, table

pytestmark = pytest.mark.skipif(
    not (Path("/usr/lib/postgresql/15/bin/initdb").exists() and shutil.which("redis-server")),
    reason="needs PostgreSQL 15's initdb and redis-server to run private servers",
)


async def test_the_short_chaos_scenarios_lose_nothing_and_recover() -> None:
    rows = await run(SHORT, duration=8, clients=20)
    assert all(row.passed for row in rows), "\n" + table(rows)
