"""Services started as real processes on loopback ports, for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_environment(**values: str) -> dict[str, str]:
    """The current environment without settings the services read, plus ``values``."""
    dropped = ("DEBUG", "DATABASE_URL", "REDIS_URL", "PORT", "HOST", "DB_PATH", "EVENT_STREAM")
    keep = {k: v for k, v in os.environ.items() if not k.startswith("JWT_") and k not in dropped}
    return keep | {"LOG_LEVEL": "info"} | values  # info: the end-to-end log scan reads every request line


class Process:
    """A service process whose output goes to a log file that failures quote."""

    def __init__(self, command: Sequence[str], env: Mapping[str, str], log: Path, url: str) -> None:
        self.url = url
        self.log = log
        self._out = log.open("ab")
        self.process = subprocess.Popen(list(command), env=dict(env), stdout=self._out, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until(self, path: str = "/ready", timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.url} exited with {self.process.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.url}{path} did not answer 200 within {timeout}s:\n{self.output()}")

    def stop(self, timeout: float = 15.0) -> int:
        returncode = terminate(self.process, timeout)
        self._out.close()
        return returncode


def terminate(process: subprocess.Popen[bytes], timeout: float = 15.0) -> int:
    """SIGTERM, then SIGKILL if the process has not exited within ``timeout``; returns its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


BIN = Path(sys.executable).parent
SERVICES = {
    "command": ["ticket-command-api", "serve"],
    "projector": ["ticket-projector", "run"],
    "query": ["ticket-query-api", "serve"],
}


@contextmanager
def three_services(env: Mapping[str, str], logs: Path) -> Iterator[dict[str, str]]:
    """The stores migrated, then the command API, the projector and the query API started with ``env`` (each on a
    free loopback port, its log in ``logs``) and ready; yields each one's URL by name; stops them all after."""
    for cli in ("ticket-command-api", "ticket-projector"):
        done = subprocess.run([str(BIN / cli), "migrate"], env=dict(env), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    processes: dict[str, Process] = {}
    try:
        for name, (program, verb) in SERVICES.items():
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            processes[name] = Process([str(BIN / program), verb], {**env, "PORT": str(port)}, logs / f"{name}.log", url)
        for process in processes.values():
            process.wait_until("/ready")
        yield {name: process.url for name, process in processes.items()}
    finally:
        for process in processes.values():
            process.stop()
