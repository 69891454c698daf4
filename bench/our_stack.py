"""Our services as real processes on loopback ports, on a fresh database and a fresh Redis stream, with real JWTs.

Started as an operator would (``deploy/stack.py``): migrations first, then command-api, projector and query-api
from the console scripts of the repository's virtual environment, configured through the environment only.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import jwt
import redis.asyncio as aioredis
from harness import BenchError, Children, free_port, wait_http

BIN = Path(sys.executable).parent
SCHEMA = "read_model"
SERVICES = ("command-api", "projector", "query-api")
# Settings a developer's shell may hold that would point the services elsewhere.
DROPPED = ("DEBUG", "DATABASE_URL", "EVENT_STORE_URL", "REDIS_URL", "PORT", "HOST", "DB_PATH", "EVENT_STREAM")
DROPPED += ("WEB_CONCURRENCY",)  # the services' defaults are measured unless the run asks otherwise


def token(secret: str, sub: str, role: str, ttl_seconds: int = 3600) -> str:
    """An HS256 token with the claims the services verify (ticket_service.auth): sub, roles, iat, exp."""
    now = int(time.time())
    return jwt.encode({"sub": sub, "roles": [role], "iat": now, "exp": now + ttl_seconds}, secret, algorithm="HS256")


@dataclass
class Stack:
    database_url: str
    stream: str
    secret: str
    ports: dict[str, int]
    pids: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    @property
    def customer(self) -> str:
        return token(self.secret, "alice", "customer")

    @property
    def agent(self) -> str:
        return token(self.secret, "bob", "agent")


@contextlib.asynccontextmanager
async def running_stack(
    children: Children, database_url: str, redis_url: str, command_workers: int | None = None
) -> AsyncIterator[Stack]:
    """Migrate, start the three services, wait until they are ready; stop them and delete the stream after.

    ``command_workers`` sets the command API's WEB_CONCURRENCY (default: its own default).
    """
    stack = Stack(
        database_url=database_url,
        stream=f"bench.{uuid.uuid4().hex[:12]}.events",
        secret=secrets.token_hex(32),
        ports={name: free_port() for name in SERVICES},
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("JWT_") and k not in DROPPED}
    stack.env = environ | {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "EVENT_STREAM": stack.stream,
        "JWT_SECRET": stack.secret,
        "PERSONAL_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "READ_MODEL_SCHEMA": SCHEMA,
        "MIGRATE_ON_START": "false",
        "LOG_LEVEL": "warning",
        "HOST": "127.0.0.1",
    }
    try:
        await children.run("migrate-store", [str(BIN / "ticket-command-api"), "migrate"], stack.env)
        await children.run("migrate-read-model", [str(BIN / "ticket-projector"), "migrate"], stack.env)
        commands = {
            "command-api": ["ticket-command-api", "serve"],
            "projector": ["ticket-projector", "run"],
            "query-api": ["ticket-query-api", "serve"],
        }
        for name, (program, verb) in commands.items():
            env = stack.env | {"PORT": str(stack.ports[name])}
            if command_workers and name == "command-api":  # uvicorn reads it too: only for the command API
                env["WEB_CONCURRENCY"] = str(command_workers)
            stack.pids[name] = children.start(name, [str(BIN / program), verb], env).pid
        for name in SERVICES:
            await wait_http(stack.url(name) + "/ready", children.running[name])
        yield stack
    finally:
        for name in SERVICES:
            children.stop(name)
        client = aioredis.from_url(redis_url)
        try:
            await client.delete(stack.stream)
        finally:
            await client.aclose()


async def store_position(database_url: str) -> int:
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        position: int = await conn.fetchval("SELECT coalesce(max(position), 0) FROM events")
        return position
    finally:
        await conn.close()


async def ticket_ids(database_url: str) -> list[str]:
    """Every ticket in the store, oldest first."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        return [r["stream_id"] for r in await conn.fetch("SELECT stream_id FROM events WHERE version = 1 ORDER BY 1")]
    finally:
        await conn.close()


async def wait_drained(stack: Stack, within: float = 60.0) -> float | None:
    """Seconds until the query API's ``/ready`` reports no lag behind the event store (None: not ``within``)."""
    began = time.monotonic()
    async with httpx.AsyncClient(timeout=5, trust_env=False) as client:
        while time.monotonic() - began < within:
            with contextlib.suppress(httpx.TransportError, ValueError):
                answer = await client.get(stack.url("query-api") + "/ready")
                if answer.status_code == 200 and answer.json().get("lag") == 0:
                    return time.monotonic() - began
            await asyncio.sleep(0.02)
    return None


@contextlib.asynccontextmanager
async def idle_streams(url: str, access_token: str, count: int, within: float = 30.0) -> AsyncIterator[int]:
    """``count`` live-update clients (``GET /api/stream``) held open and idle; yields how many answered 200."""
    host, port = url.removeprefix("http://").split(":")
    request = (
        f"GET /api/stream?access_token={access_token} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()
    statuses: list[bytes] = []
    all_answered = asyncio.Event()
    writers: list[asyncio.StreamWriter] = []
    readers: list[asyncio.Task[None]] = []

    async def follow(reader: asyncio.StreamReader) -> None:
        statuses.append(await reader.readline())
        if len(statuses) == count:
            all_answered.set()
        while await reader.read(65536):
            pass

    try:
        for _ in range(count):
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(request)
            writers.append(writer)
            readers.append(asyncio.create_task(follow(reader)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_answered.wait(), within)
        opened = sum(1 for status in statuses if status.split()[1:2] == [b"200"])
        if opened == 0:
            raise BenchError(f"no live-update client got 200 from {url}/api/stream: {statuses[:1]}")
        yield opened
    finally:
        for writer in writers:
            writer.close()
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
