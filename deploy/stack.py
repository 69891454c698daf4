"""``make stack``: the distributed system as local processes against a developer's Postgres and Redis.

Creates the database when missing, applies the migrations, then starts command-api, projector, query-api, webhooks and
the nginx gateway, each on its own port, with every log line prefixed by its service. Ctrl-C or SIGTERM stops them all:
each child runs in its own process group, which is signalled as a whole and waited for.

Its parts: ``stack_config.py`` (the settings below), ``stack_preflight.py`` (database, Redis, ports and tools
checked before anything starts; waiting for ready), ``stack_processes.py`` (the children and their output); this
module runs them in order.

Run with the repository's virtual environment: ``.venv/bin/python deploy/stack.py``. Settings (environment):

    PORT              8080   the gateway (web UI and API)
    COMMAND_API_PORT  8081
    QUERY_API_PORT    8082
    PROJECTOR_PORT    8083
    WEBHOOKS_PORT     8084
    WEBHOOKS_SECRET_KEY  encrypts the webhook endpoints' secrets; derived from JWT_SECRET when unset
    DATABASE_URL      postgresql://postgres@127.0.0.1:5432/support_ticket (created if missing)
    REDIS_URL         redis://127.0.0.1:6379/0
    DEBUG             false; true enables POST /api/debug/token and a development JWT secret
    JWT_SECRET        required unless DEBUG=true (or JWT_PUBLIC_KEY / JWT_JWKS_URL)
    STACK_HOST        127.0.0.1   interface every process binds
    LOG_FORMAT        text        json for one JSON object per line
    plus every variable the services read (EVENT_STREAM, LOG_LEVEL, ...), passed through.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from stack_config import BIN, REPO, StackConfig, StackError
from stack_preflight import (
    READY_TIMEOUT_SECONDS,
    check_ports_free,
    check_redis,
    ensure_database,
    find_nginx,
    redact,
    tool,
    wait_ready,
)
from stack_processes import Output, Supervisor


def banner(config: StackConfig) -> list[str]:
    url = config.gateway_url
    lines = [
        f"ready: web UI and API at {url}/",
        f"  command-api {config.host}:{config.command_port}   query-api {config.host}:{config.query_port}   "
        f"projector {config.host}:{config.projector_port}   webhooks {config.host}:{config.webhooks_port}",
    ]
    if config.debug:
        lines.append(
            f"  token: curl -s -X POST {url}/api/debug/token -H 'Content-Type: application/json' "
            """-d '{"sub": "alice", "roles": ["customer"]}'   (roles: customer, agent, supervisor, admin)"""
        )
    else:
        lines.append(f"  token: {BIN / 'ticket-command-api'} mint-token --sub alice --role customer")
    lines.append("  Ctrl-C stops everything")
    return lines


def run(config: StackConfig, output: Output) -> int:
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        if not stop_requested.is_set():
            output.line("stack", f"{signal.Signals(signum).name}: stopping")
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    nginx = find_nginx()
    services = ("ticket-command-api", "ticket-projector", "ticket-query-api", "ticket-webhooks")
    commands = {name: tool(name) for name in services}
    check_ports_free(
        config.host,
        {
            "PORT": config.gateway_port,
            "COMMAND_API_PORT": config.command_port,
            "QUERY_API_PORT": config.query_port,
            "PROJECTOR_PORT": config.projector_port,
            "WEBHOOKS_PORT": config.webhooks_port,
        },
    )
    if ensure_database(config.database_url):
        output.line("stack", f"created database {redact(config.database_url)}")
    check_redis(config.redis_url)

    supervisor = Supervisor(output)
    runtime_dir = Path(tempfile.mkdtemp(prefix="support-ticket-gateway-"))
    try:
        supervisor.run_once("migrate", [commands["ticket-command-api"], "migrate"], config.env)
        supervisor.run_once("migrate", [commands["ticket-projector"], "migrate"], config.env)
        supervisor.run_once("migrate", [commands["ticket-webhooks"], "migrate"], config.env)
        output.line("migrate", "read-model migrations applied")

        supervisor.start(
            "command-api", [commands["ticket-command-api"], "serve"], config.service_env(config.command_port)
        )
        supervisor.start("projector", [commands["ticket-projector"], "run"], config.service_env(config.projector_port))
        supervisor.start("query-api", [commands["ticket-query-api"], "serve"], config.service_env(config.query_port))
        supervisor.start("webhooks", [commands["ticket-webhooks"], "run"], config.service_env(config.webhooks_port))
        # The gateway starts once both APIs answer, so its log is not a wall of 502s from the start-up race.
        for name, port in (("command-api", config.command_port), ("query-api", config.query_port)):
            if not wait_ready(f"http://{config.host}:{port}/ready", supervisor, stop_requested.is_set):
                if stop_requested.is_set():
                    return 0
                gone = supervisor.exited()
                if gone:
                    output.line("stack", f"{gone.name} exited with status {gone.process.returncode}: stopping")
                    return 1
                output.line("stack", f"{name} not ready after {READY_TIMEOUT_SECONDS:.0f} s; starting the gateway")
        gateway_env = {
            **config.env,
            "GATEWAY_LISTEN": f"{config.host}:{config.gateway_port}",
            "COMMAND_API_ADDR": f"{config.host}:{config.command_port}",
            "QUERY_API_ADDR": f"{config.host}:{config.query_port}",
            "PROJECTOR_ADDR": f"{config.host}:{config.projector_port}",
            "WEBHOOKS_ADDR": f"{config.host}:{config.webhooks_port}",
            "GATEWAY_WEB_ROOT": str(REPO / "frontend"),
            "GATEWAY_RUNTIME_DIR": str(runtime_dir),
            "GATEWAY_WORKER_PROCESSES": config.env.get("GATEWAY_WORKER_PROCESSES", "2"),
        }
        rendered = subprocess.run(
            [str(REPO / "deploy/gateway/render-config.sh")], env=gateway_env, check=True, capture_output=True, text=True
        ).stdout.strip()
        as_reader_of(Path(rendered), REPO / "frontend")
        supervisor.start("gateway", [nginx, "-c", rendered, "-e", "stderr"], gateway_env)

        if wait_ready(f"{config.gateway_url}/ready", supervisor, stop_requested.is_set):
            for text in banner(config):
                output.line("stack", text)
        elif not stop_requested.is_set() and not supervisor.exited():
            output.line("stack", f"not ready after {READY_TIMEOUT_SECONDS:.0f} s; see the logs above (still running)")

        while not stop_requested.wait(0.5):
            gone = supervisor.exited()
            if gone:
                output.line("stack", f"{gone.name} exited with status {gone.process.returncode}: stopping everything")
                return 1
        return 0
    finally:
        supervisor.stop_all()
        shutil.rmtree(runtime_dir, ignore_errors=True)
        output.line("stack", "stopped")


def as_reader_of(config: Path, web_root: Path) -> None:
    """Started as root, nginx would serve the web UI from worker processes running as ``nobody``, who cannot
    read a checkout under a private directory (``/root``, a ``mktemp -d``): they run as the web root's owner."""
    if os.geteuid() != 0:
        return
    import pwd

    owner = pwd.getpwuid(web_root.stat().st_uid).pw_name
    config.write_text(f"user {owner};\n" + config.read_text())


def main() -> int:
    output = Output()
    try:
        config = StackConfig.from_environment(dict(os.environ))
        return run(config, output)
    except StackError as exc:
        output.line("stack", f"error: {exc}")
        return 2
    except subprocess.CalledProcessError as exc:
        output.line("stack", f"error: {exc}: {exc.stderr}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
