"""One run of ``make bench``: its settings, its children and load generator, and the figures measured so far."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from harness import Children
from loadgen import Load
from parsing import LoadResult


class Run:
    """One run: its settings, children and load generator, and the figures measured so far (by name)."""

    def __init__(self, args: argparse.Namespace, children: Children) -> None:
        self.args = args
        self.children = children
        self.load = Load(children, args.seconds)
        self.figures: dict[str, float | None] = {}
        self.failures: list[str] = []
        self.tickets: int | None = None
        self.events: int | None = None

    def record(self, prefix: str, result: LoadResult) -> None:
        self.figures |= {f"{prefix}_rate": result.rate, f"{prefix}_p50": result.p50_ms, f"{prefix}_p99": result.p99_ms}
        failed = f", {result.failed} failed" if result.failed else ""
        rate, p50, p99, wrk = result.rate, result.p50_ms, result.p99_ms, self.load.client_cores
        say(f"  {prefix}: {rate:,.0f}/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms{failed} (wrk used {wrk:.2f} cores)")

    async def attempt(self, what: str, step: Callable[[], Awaitable[None]]) -> None:
        """Measure one figure; a failure is reported and the run goes on with the next one."""
        say(f"{what}...")
        try:
            await step()
        except Exception as exc:  # a figure that fails is reported; the others still count
            self.failures.append(f"{what}: {exc}")
            say(f"  {what} failed: {exc}")


def say(line: str) -> None:
    print(line, flush=True)
