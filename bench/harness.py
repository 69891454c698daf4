"""What every figure of ``make bench`` stands on: child processes that cannot outlive the run, throwaway databases,
free loopback ports, and readings of a process's memory and of the database's transaction counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

REPO = Path(__file__).resolve().parent.parent
STOP_GRACE_SECONDS = 10.0


class BenchError(RuntimeError):
    """A figure could not be measured; the message says why."""


class Children:
    """Every process the bench starts, each in its own process group, so that stopping one stops all it started.

    ``stop_all`` runs on success, failure and Ctrl-C alike (the bench calls it in a ``finally``).
    """

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            list(argv),
            cwd=REPO,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.running[name] = process
        return process

    async def run(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> str:
        """Run a command to its end and return its output; a non-zero exit is a :class:`BenchError`."""
        process = self.start(name, argv, env)
        try:
            code = await asyncio.to_thread(process.wait)
        except BaseException:  # cancelled (Ctrl-C): the command must not outlive the run
            self.stop(name)
            raise
        del self.running[name]
        output = self.log(name)
        if code != 0:
            raise BenchError(f"`{' '.join(argv)}` exited with {code}:\n{output[-3000:]}")
        return output

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, name: str) -> None:
        process = self.running.pop(name, None)
        if process is not None:
            _stop(process)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL to what is left of it after the grace period."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_GRACE_SECONDS)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + database))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


@contextlib.asynccontextmanager
async def throwaway_database(server: str, purpose: str) -> AsyncIterator[str]:
    """A fresh database on the server of ``server``, dropped (connections and all) when the block ends."""
    name = f"bench_{purpose}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(server, name)
    finally:
        admin = await asyncpg.connect(server, timeout=10)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def wait_http(url: str, process: subprocess.Popen[bytes], within: float = 60.0) -> None:
    """Until ``url`` answers 200; a :class:`BenchError` when the process exits or time runs out."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"{url}: the process exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise BenchError(f"{url} did not answer 200 within {within:.0f} s")


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (VmRSS), None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def group_rss_mb(pgid: int) -> tuple[float | None, int]:
    """Resident memory of a process group (a service and any workers it forked) in MB, and its process count."""
    total, count = 0.0, 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after the command name: state, ppid, pgrp, ...
            rss = rss_mb(int(stat.parent.name))
            if rss is not None:
                total, count = total + rss, count + 1
    return (total if count else None), count


async def transactions(url: str) -> int:
    """Transactions committed and rolled back in the database of ``url`` so far (pg_stat_database)."""
    conn = await asyncpg.connect(url, timeout=10)
    try:
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        count: int = await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        )
        return count
    finally:
        await conn.close()
