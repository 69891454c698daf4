"""What the load generators print, read back: wrk's summary line (lua/report.lua) and pgbench's report. Pure."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    """What one wrk run measured. ``rate`` counts successful (2xx/3xx) answers per second."""

    requests: int
    failed: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return (self.requests - self.failed) / self.seconds if self.seconds > 0 else 0.0


def parse_wrk(output: str) -> LoadResult:
    """The BENCH_JSON line that lua/report.lua prints, as a :class:`LoadResult`."""
    line = next((line for line in output.splitlines() if line.startswith("BENCH_JSON ")), None)
    if line is None:
        raise ValueError(f"wrk printed no summary:\n{output[-2000:]}")
    s = json.loads(line.removeprefix("BENCH_JSON "))
    if "window_us" in s:  # the script timed its own window and counted its own successes
        requests, failed, seconds = s["ok"], 0, s["window_us"] / 1e6
    else:
        failed = s["status_errors"] + s["connect_errors"] + s["read_errors"] + s["write_errors"] + s["timeouts"]
        requests, seconds = s["requests"], s["duration_us"] / 1e6
    return LoadResult(requests, failed, seconds, s["p50_us"] / 1000, s["p99_us"] / 1000)


def parse_pgbench(output: str) -> float:
    """Transactions per second from pgbench's report."""
    found = re.search(r"^tps = ([0-9.]+)", output, re.MULTILINE)
    if found is None:
        raise ValueError(f"pgbench printed no tps:\n{output[-2000:]}")
    return float(found.group(1))
