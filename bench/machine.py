"""What a run of ``make bench`` ran on, and where its table is kept (bench/results/latest.md and latest.json)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from pathlib import Path

import asyncpg
import redis.asyncio as aioredis
from harness import REPO
from table import Row, markdown_table

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    try:
        total_kib = int(Path("/proc/meminfo").read_text().split()[1])
        return total_kib / 1024 / 1024
    except (OSError, IndexError, ValueError):
        return 0.0


def revision() -> str:
    """The commit measured, marked when the work tree holds changes that were measured with it."""
    try:
        return subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


async def describe(server: str, redis_url: str) -> str:
    conn = await asyncpg.connect(server, timeout=10)
    try:
        version = await conn.fetchval("SHOW server_version")
        sync = await conn.fetchval("SHOW synchronous_commit")
    finally:
        await conn.close()
    client = aioredis.from_url(redis_url)
    try:
        redis_version = (await client.info("server"))["redis_version"]
    finally:
        await client.aclose()
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), {memory_gib():.0f} GiB; PostgreSQL {version} "
        f"(synchronous_commit={sync}), Redis {redis_version}, Python {platform.python_version()}; "
        f"commit {revision()}; load average {load_average()} at the start"
    )


def load_average() -> str:
    """The 1-minute load average: above about 1 before a run, something else is using the two cores."""
    return f"{os.getloadavg()[0]:.2f}"


def write_results(
    folder: Path, description: str, seconds: float, minutes: float, table: list[Row], failures: list[str]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        f"Run of {when}, {minutes:.1f} min, {seconds:g} s per figure, 32 connections, loopback; "
        f"load average {load_average()} at the end.",
        f"Machine: {description}.",
        "",
        markdown_table(table),
    ]
    lines += [f"\nWarning: {failure.splitlines()[0]}" for failure in failures]
    markdown = folder / "latest.md"
    markdown.write_text("\n".join(lines) + "\n")
    document = {
        "when": when,
        "machine": description,
        "seconds_per_figure": seconds,
        "minutes": round(minutes, 2),
        "rows": [row.as_json() for row in table],
        "warnings": failures,
    }
    (folder / "latest.json").write_text(json.dumps(document, indent=2) + "\n")
    return markdown
