"""``make stack``: the distributed system as local processes against a developer's Postgres and Redis.

Creates the database when missing, applies the migrations, then starts command-api, projector, query-api and the
nginx gateway, each on its own port, with every log line prefixed by its service. Ctrl-C or SIGTERM stops them all:
each child runs in its own process group, which is signalled as a whole and waited for.

Run with the repository's virtual environment: ``.venv/bin/python deploy/stack.py``. Settings (environment):

    PORT              8080   the gateway (web UI and API)
    COMMAND_API_PORT  8081
    QUERY_API_PORT    8082
    PROJECTOR_PORT    8083
    DATABASE_URL      postgresql://postgres@127.0.0.1:5432/support_ticket (created if missing)
    REDIS_URL         redis://127.0.0.1:6379/0
    DEBUG             false; true enables POST /api/debug/token and a development JWT secret
    JWT_SECRET        required unless DEBUG=true (or JWT_PUBLIC_KEY / JWT_JWKS_URL)
    STACK_HOST        127.0.0.1   interface every process binds
    plus every variable the services read (EVENT_STREAM, LOG_LEVEL, ...), passed through.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/support_ticket"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
STOP_GRACE_SECONDS = 10.0
READY_TIMEOUT_SECONDS = 60.0
COLOURS = {"command-api": 36, "projector": 35, "query-api": 32, "gateway": 33, "migrate": 34, "stack": 1}


class StackError(RuntimeError):
    """Something the developer must fix before the stack can start; the message says what."""


@dataclass(frozen=True)
class StackConfig:
    host: str
    gateway_port: int
    command_port: int
    query_port: int
    projector_port: int
    database_url: str
    redis_url: str
    debug: bool
    env: dict[str, str] = field(repr=False)

    @classmethod
    def from_environment(cls, environ: dict[str, str]) -> StackConfig:
        debug = environ.get("DEBUG", "false").strip().lower() in {"1", "true", "yes", "on"}
        has_key = any(environ.get(name) for name in ("JWT_SECRET", "JWT_PUBLIC_KEY", "JWT_JWKS_URL"))
        if not has_key and not debug:
            raise StackError(
                "JWT_SECRET is not set. Set it (e.g. JWT_SECRET=$(openssl rand -hex 32) make stack), or run with "
                "DEBUG=true to use the public development secret and the debug token endpoint."
            )
        env = dict(environ)
        env.update(
            DATABASE_URL=environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            REDIS_URL=environ.get("REDIS_URL") or DEFAULT_REDIS_URL,
            DEBUG="true" if debug else "false",
            PYTHONUNBUFFERED="1",
        )
        return cls(
            host=environ.get("STACK_HOST", "127.0.0.1"),
            gateway_port=_port(environ, "PORT", 8080),
            command_port=_port(environ, "COMMAND_API_PORT", 8081),
            query_port=_port(environ, "QUERY_API_PORT", 8082),
            projector_port=_port(environ, "PROJECTOR_PORT", 8083),
            database_url=env["DATABASE_URL"],
            redis_url=env["REDIS_URL"],
            debug=debug,
            env=env,
        )

    def service_env(self, port: int, **extra: str) -> dict[str, str]:
        return {**self.env, "HOST": self.host, "PORT": str(port), **extra}

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"


def _port(environ: dict[str, str], name: str, default: int) -> int:
    value = environ.get(name) or str(default)
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise StackError(f"{name}={value!r} is not a port number")
    return int(value)


# ----------------------------------------------------------------------------------------------------- output


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


# ------------------------------------------------------------------------------------------------- processes


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


# ------------------------------------------------------------------------------------------------ preflight


def ensure_database(database_url: str) -> bool:
    """Create the database named by the URL on its server when it does not exist. True when it was created."""
    import asyncpg

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name:
        raise StackError(f"DATABASE_URL has no database name: {database_url}")

    async def create() -> bool:
        last_error: Exception | None = None
        for maintenance in ("postgres", "template1"):
            admin_url = urlunsplit(parts._replace(path="/" + maintenance))
            try:
                conn = await asyncpg.connect(admin_url, timeout=5)
            except (OSError, asyncpg.PostgresError) as exc:
                last_error = exc
                continue
            try:
                if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                    return False
                quoted = '"' + name.replace('"', '""') + '"'
                await conn.execute(f"CREATE DATABASE {quoted}")
                return True
            finally:
                await conn.close()
        raise StackError(f"cannot reach PostgreSQL at {_redact(database_url)}: {last_error}")

    return asyncio.run(create())


def check_redis(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise StackError(f"cannot reach Redis at {_redact(redis_url)}: {exc}") from exc
    finally:
        client.close()


def check_ports_free(host: str, ports: dict[str, int]) -> None:
    for name, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                raise StackError(
                    f"port {port} ({name}) is taken on {host}: {exc.strerror}; set {name}=<free port>"
                ) from None


def find_nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if not found:
        raise StackError("nginx is not installed: `sudo apt-get install nginx` (Debian/Ubuntu), then run again")
    return found


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise StackError(f"{path} is missing: run `make install` first")
    return str(path)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never through a proxy


def wait_ready(url: str, supervisor: Supervisor, stopping: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline and not stopping():
        if supervisor.exited():
            return False
        try:
            with _DIRECT.open(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return False


# ------------------------------------------------------------------------------------------------------ main


def banner(config: StackConfig) -> list[str]:
    url = config.gateway_url
    lines = [
        f"ready: web UI and API at {url}/",
        f"  command-api {config.host}:{config.command_port}   query-api {config.host}:{config.query_port}   "
        f"projector {config.host}:{config.projector_port}",
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
    commands = {name: tool(name) for name in ("ticket-command-api", "ticket-projector", "ticket-query-api")}
    check_ports_free(
        config.host,
        {
            "PORT": config.gateway_port,
            "COMMAND_API_PORT": config.command_port,
            "QUERY_API_PORT": config.query_port,
            "PROJECTOR_PORT": config.projector_port,
        },
    )
    if ensure_database(config.database_url):
        output.line("stack", f"created database {_redact(config.database_url)}")
    check_redis(config.redis_url)

    supervisor = Supervisor(output)
    runtime_dir = Path(tempfile.mkdtemp(prefix="support-ticket-gateway-"))
    try:
        supervisor.run_once("migrate", [commands["ticket-command-api"], "migrate"], config.env)
        supervisor.run_once("migrate", [commands["ticket-projector"], "migrate"], config.env)
        output.line("migrate", "read-model migrations applied")

        supervisor.start(
            "command-api", [commands["ticket-command-api"], "serve"], config.service_env(config.command_port)
        )
        supervisor.start("projector", [commands["ticket-projector"], "run"], config.service_env(config.projector_port))
        supervisor.start("query-api", [commands["ticket-query-api"], "serve"], config.service_env(config.query_port))
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
            "GATEWAY_WEB_ROOT": str(REPO / "frontend"),
            "GATEWAY_RUNTIME_DIR": str(runtime_dir),
            "GATEWAY_WORKER_PROCESSES": config.env.get("GATEWAY_WORKER_PROCESSES", "2"),
        }
        rendered = subprocess.run(
            [str(REPO / "deploy/gateway/render-config.sh")], env=gateway_env, check=True, capture_output=True, text=True
        ).stdout.strip()
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
