"""``make stack``'s checks before it starts anything (database, Redis, free ports, tools), and waiting for ready."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from stack_config import BIN, StackError
from stack_processes import Supervisor

READY_TIMEOUT_SECONDS = 60.0


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
        raise StackError(f"cannot reach PostgreSQL at {redact(database_url)}: {last_error}")

    return asyncio.run(create())


def check_redis(redis_url: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise StackError(f"cannot reach Redis at {redact(redis_url)}: {exc}") from exc
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


def redact(url: str) -> str:
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
