"""The load generators: wrk (HTTP, with the Lua scripts of ``bench/lua``) and pgbench (raw appends).

Both are C programs run as child processes, so that the load they make costs the servers' two cores as little as
possible; wrk runs one thread for the same reason.
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from pathlib import Path

from harness import BenchError, Children
from parsing import LoadResult, parse_pgbench, parse_wrk

LUA = Path(__file__).resolve().parent / "lua"
CONNECTIONS = 32
WRK_THREADS = 1

# One event row of the shape the event store writes (001_event_store.sql), with a fresh stream per row.
PGBENCH_APPEND = """\
INSERT INTO events (position, event_id, stream_id, version, type, data, metadata, occurred_at)
VALUES (nextval('events_position_seq'), gen_random_uuid(), gen_random_uuid()::text, 1, 'Created',
        '{"subject": "Printer on fire", "priority": "normal", "requester": "alice"}',
        '{"actor": "alice", "roles": ["customer"], "correlation_id": "c0ffee"}', now());
"""


def need(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise BenchError(f"{program} is missing: run bench/bench-deps.sh (or apt-get install -y {program})")
    return found


class Load:
    """Runs wrk and pgbench as children of the run, writing their scripts next to the logs."""

    def __init__(self, children: Children, seconds: float) -> None:
        self.children = children
        self.seconds = seconds
        self.runs = 0
        self.client_cores = 0.0  # CPU the last wrk run used, in cores: what the load took from the servers

    def _script(self, name: str) -> Path:
        path = self.children.logs / f"{name}.lua"
        path.write_text((LUA / f"{name}.lua").read_text() + "\n" + (LUA / "report.lua").read_text())
        return path

    async def wrk(
        self,
        url: str,
        *,
        script: str = "fixed",
        seconds: float | None = None,
        request_timeout: float = 10.0,
        **variables: str,
    ) -> LoadResult:
        """Load ``url`` with 32 connections for ``seconds``; ``variables`` become the script's BENCH_* settings."""
        self.runs += 1
        duration = max(1, round(seconds if seconds is not None else self.seconds))
        env = os.environ | {"BENCH_THREADS": str(WRK_THREADS)}
        env |= {f"BENCH_{key.upper()}": value for key, value in variables.items()}
        argv = [need("wrk"), f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{duration}s"]
        argv += [f"--timeout={request_timeout:g}s", "--latency", "-s", str(self._script(script)), url]
        before, began = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
        output = await self.children.run(f"wrk-{self.runs}", argv, env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk is the only child reaped meanwhile
        used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        self.client_cores = used / (time.monotonic() - began)
        return parse_wrk(output)

    async def pgbench_appends(self, database_url: str) -> float:
        """Raw appends/s: 32 clients each inserting one event row per transaction."""
        script = self.children.logs / "append.sql"
        script.write_text(PGBENCH_APPEND)
        duration = max(1, round(self.seconds))
        argv = [need("pgbench"), "-n", "-M", "prepared", f"-c{CONNECTIONS}", "-j2", f"-T{duration}"]
        argv += ["-f", str(script), database_url]
        return parse_pgbench(await self.children.run("pgbench", argv))
