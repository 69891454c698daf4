"""The write path as real processes for the log and trace tests: command-api (with its relay) and the projector on
a fresh database and Redis namespace, logging JSON lines to files the tests read."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import RedisNamespace
from tests.support.processes import Process, clean_environment, free_port

SECRET = "observability-secret-0123456789abcdef"
BIN = Path(sys.executable).parent


@dataclass
class Chain:
    command: Process
    projector: Process


@contextlib.contextmanager
def write_path(database_url: str, redis_namespace: RedisNamespace, logs: Path, **extra: str) -> Iterator[Chain]:
    """command-api and the projector, ready, with JSON logs at info level; stopped (and their logs flushed) after."""
    env = clean_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        PROJECTOR_GROUP=redis_namespace.key("projector"),
        CONSUMER_NAME=redis_namespace.key("replica-1"),
        JWT_SECRET=SECRET,
        HOST="127.0.0.1",
        LOG_LEVEL="info",
        LOG_FORMAT="json",
        **extra,
    )
    for cli in ("ticket-command-api", "ticket-projector"):
        done = subprocess.run([str(BIN / cli), "migrate"], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    started: list[Process] = []
    try:
        for name, verb in (("command-api", "serve"), ("projector", "run")):
            port = free_port()
            started.append(
                Process(
                    [str(BIN / f"ticket-{name}"), verb],
                    env | {"PORT": str(port)},
                    logs / f"{name}.log",
                    f"http://127.0.0.1:{port}",
                )
            )
        for process in started:
            process.wait_until("/ready")
        yield Chain(*started)
    finally:
        for process in started:
            process.stop()


def json_lines(process: Process) -> list[dict[str, Any]]:
    """Every JSON log line the process wrote so far (the few lines that are not JSON, e.g. warnings Python prints
    before logging is configured, are skipped)."""
    lines = []
    for line in process.output().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def wait_for_line(process: Process, matches: Callable[[dict[str, Any]], bool], timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in json_lines(process) if matches(line)]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no matching log line within {timeout}s in {process.log}:\n{process.output()[-4000:]}")
