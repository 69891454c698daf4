"""``make stack``'s children: each in its own process group, its output prefixed by its name, all stopped together."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from stack_config import REPO, StackError

STOP_GRACE_SECONDS = 10.0
COLOURS = {
    "command-api": 36,
    "projector": 35,
    "query-api": 32,
    "webhooks": 31,
    "gateway": 33,
    "migrate": 34,
    "stack": 1,
}


class Output:
    """Serialises the children's lines onto our stdout, each prefixed by its service name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        self._width = max(len(name) for name in COLOURS)

    def line(self, name: str, text: str) -> None:
        prefix = f"{name:<{self._width}} |"
        if self._colour:
            prefix = f"\033[{COLOURS.get(name, 0)}m{prefix}\033[0m"
        with self._lock:
            sys.stdout.write(f"{prefix} {text.rstrip()}\n")
            sys.stdout.flush()

    def follow(self, name: str, process: subprocess.Popen[bytes]) -> threading.Thread:
        def pump() -> None:
            assert process.stdout is not None
            for raw in iter(process.stdout.readline, b""):
                self.line(name, raw.decode(errors="replace"))

        thread = threading.Thread(target=pump, name=f"log-{name}", daemon=True)
        thread.start()
        return thread


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: threading.Thread


class Supervisor:
    """Starts children in their own process groups and stops every group, whatever happens."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self.children: list[Child] = []

    def start(self, name: str, argv: Sequence[str], env: dict[str, str]) -> Child:
        process = subprocess.Popen(
            list(argv),
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: signalled as a whole, deaf to the terminal's Ctrl-C
        )
        child = Child(name, process, self.output.follow(name, process))
        self.children.append(child)
        return child

    def run_once(self, name: str, argv: Sequence[str], env: dict[str, str]) -> None:
        child = self.start(name, argv, env)
        code = child.process.wait()
        child.log.join(timeout=5)
        self.children.remove(child)
        if code != 0:
            raise StackError(f"`{' '.join(argv)}` exited with status {code}")

    def exited(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def stop_all(self) -> None:
        for child in reversed(self.children):  # gateway first, so no new requests reach a stopping service
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self.children:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self.output.line("stack", f"{child.name} did not stop in {STOP_GRACE_SECONDS:.0f} s: killing it")
            # Whatever the leader did, nothing of its group may outlive the stack.
            _signal_group(child.process, signal.SIGKILL)
            child.process.wait()
            child.log.join(timeout=2)
        self.children.clear()


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
