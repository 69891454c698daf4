"""Where the time goes: the services under load, sampled by py-spy (``make profile``).

Starts the stack as ``make bench`` does (a throwaway database, a fresh stream), warms it up, then loads it with
wrk (a create burst by default, or assigns of the tickets it created: ``--load assign``) while ``py-spy record``
samples the command API and the projector (``--services`` for others). For each service it writes the collapsed
stacks (open them at https://www.speedscope.app, or with flamegraph.pl) and prints the functions with the most
samples, both where the time is spent (self) and what it is spent under (total). Profiles and logs go to
``bench/results/profile/``.

py-spy attaches with ptrace: run as root, or with ``kernel.yama.ptrace_scope=0``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import shutil
import subprocess
import sys
from pathlib import Path

from harness import BenchError, Children, throwaway_database
from loadgen import Load
from machine import DEFAULT_REDIS, DEFAULT_SERVER
from our_stack import Stack, running_stack, ticket_ids, wait_drained
from parsing import LoadResult
from references import CREATE_BODY, WARM_UP_SECONDS
from session import say

RESULTS = Path(__file__).resolve().parent / "results" / "profile"
TOP = 25


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--load", choices=("create", "assign", "get"), default="create")
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds of sampled load (default 15)")
    parser.add_argument("--services", default="command-api,projector", help="comma-separated services to sample")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second (default 250)")
    parser.add_argument("--server", default=os.environ.get("TEST_DATABASE_URL") or DEFAULT_SERVER)
    parser.add_argument("--redis", default=os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS)
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        say("py-spy is missing: make install (it is in requirements-test.txt)")
        return 2
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "logs").mkdir(exist_ok=True)
    children = Children(RESULTS / "logs")
    try:
        asyncio.run(profile(args, children, py_spy))
    except BenchError as exc:
        say(f"failed: {exc}")
        return 1
    finally:
        children.stop_all()
    return 0


async def profile(args: argparse.Namespace, children: Children, py_spy: str) -> None:
    load = Load(children, args.seconds)
    services = [name.strip() for name in args.services.split(",") if name.strip()]
    async with throwaway_database(args.server, "profile") as url, running_stack(children, url, args.redis) as stack:
        create_url = stack.url("command-api") + "/api/support-ticket"
        await load.wrk(create_url, seconds=WARM_UP_SECONDS, method="POST", body=CREATE_BODY, token=stack.customer)
        if args.load != "create":  # tickets to assign or read, each once
            await load.wrk(create_url, seconds=args.seconds + 2, method="POST", body=CREATE_BODY, token=stack.customer)
        await wait_drained(stack)
        say(f"sampling {', '.join(services)} for {args.seconds:g} s of {args.load} load...")
        samplers = {name: sample(children, py_spy, stack, name, args) for name in services}
        await asyncio.sleep(1)  # py-spy attached before the load begins
        result = await run_load(load, stack, args.load, children.logs)
        say(f"  {args.load}: {result.rate:,.0f}/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms")
        for name, process in samplers.items():
            await asyncio.to_thread(process.wait, 30)
            report(name, RESULTS / f"{name}-{args.load}.txt")
            say(f"  collapsed stacks (speedscope.app, flamegraph.pl): {RESULTS / f'{name}-{args.load}.txt'}")


def sample(
    children: Children, py_spy: str, stack: Stack, name: str, args: argparse.Namespace
) -> subprocess.Popen[bytes]:
    base = RESULTS / f"{name}-{args.load}"
    argv = [py_spy, "record", "--pid", str(stack.pids[name]), "--rate", str(args.rate), "--nonblocking"]
    argv += ["--duration", str(round(args.seconds) + 1), "--subprocesses"]
    return children.start(f"py-spy-{name}", [*argv, "--format", "raw", "--output", f"{base}.txt"])


async def run_load(load: Load, stack: Stack, kind: str, logs: Path) -> LoadResult:
    if kind == "create":
        url = stack.url("command-api") + "/api/support-ticket"
        return await load.wrk(url, method="POST", body=CREATE_BODY, token=stack.customer)
    ids = logs / "tickets.txt"
    ids.write_text("\n".join(await ticket_ids(stack.database_url)) + "\n")
    if kind == "assign":
        url, mode, token = stack.url("command-api"), "assign", stack.agent
    else:
        url, mode, token = stack.url("query-api"), "get", stack.agent
    return await load.wrk(url, script="per_ticket", mode=mode, ids=str(ids), token=token)


def report(name: str, raw: Path) -> None:
    """The functions with the most samples, self and total, from py-spy's collapsed stacks."""
    if not raw.exists():
        say(f"  {name}: no profile (is py-spy allowed to attach? see the module's docstring)")
        return
    own: collections.Counter[str] = collections.Counter()
    under: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        samples = int(count)
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            under[frame] += samples
    say(f"\n{name}: {total:,} samples")
    for title, counter in (("self", own), ("total", under)):
        say(f"  top {TOP} by {title}:")
        for frame, samples in counter.most_common(TOP):
            say(f"    {100 * samples / max(total, 1):5.1f}%  {frame}")


if __name__ == "__main__":
    sys.exit(main())
