"""The distributed stack on the private servers, one fresh database and stream per scenario, every service
reaching PostgreSQL through its own severable proxy; and what is checked once a scenario has settled."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis.asyncio as aioredis

from tests.support.processes import free_port
from ticket_eventstore.postgres import PostgresEventStore, create_pool
from ticket_privacy import Privacy, key_encryption_key
from ticket_privacy.postgres import PostgresKeyStore
from ticket_projector.rebuild import rebuild
from ticket_readmodel.postgres import PostgresReadModel

from .infra import PrivatePostgres, PrivateRedis, Proxy, Service, service_command
from .load import Load

SCHEMA = "read_model"


@dataclass
class Stack:
    pg: PrivatePostgres
    redis: PrivateRedis
    logs: Path
    command_replicas: int = 1
    database: str = field(default_factory=lambda: f"chaos_{uuid.uuid4().hex[:10]}")
    stream: str = field(default_factory=lambda: f"chaos.{uuid.uuid4().hex[:10]}.events")
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    data_key: str = field(default_factory=lambda: base64.b64encode(secrets.token_bytes(32)).decode())
    services: dict[str, Service] = field(default_factory=dict)
    proxies: dict[str, Proxy] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg.port}/{self.database}"

    def commands(self) -> list[Service]:
        return [s for name, s in self.services.items() if name.startswith("command-api")]

    async def start(self) -> None:
        conn = await asyncpg.connect(self.pg.url)
        await conn.execute(f'CREATE DATABASE "{self.database}"')
        await conn.close()
        env = self.env(self.url)
        for program in ("ticket-command-api", "ticket-projector"):
            command = [service_command("command-api")[0].replace("ticket-command-api", program), "migrate"]
            await asyncio.to_thread(subprocess.run, command, env=env, check=True, capture_output=True)
        names = [f"command-api-{n}" for n in range(1, self.command_replicas + 1)] + ["projector", "query-api"]
        for name in names:
            proxy = self.proxies[name] = Proxy(self.pg.port)
            await proxy.start()
            kind = name.rsplit("-", 1)[0] if name.startswith("command-api") else name
            proxied = f"postgresql://postgres@127.0.0.1:{proxy.port}/{self.database}"
            log = self.logs / f"{self.database}.{name}.log"
            self.services[name] = Service(name, service_command(kind), self.env(proxied), free_port(), log)
            self.services[name].start()
        async with httpx.AsyncClient(trust_env=False) as http:
            for service in self.services.values():
                if not await service.wait_ready(http, 60):
                    raise RuntimeError(f"{service.name} did not get ready:\n{service.log.read_text()[-3000:]}")

    def env(self, database_url: str) -> dict[str, str]:
        dropped = ("DEBUG", "DATABASE_URL", "EVENT_STORE_URL", "REDIS_URL", "PORT", "WEB_CONCURRENCY")
        base = {k: v for k, v in os.environ.items() if not k.startswith("JWT_") and k not in dropped}
        return base | {
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis.url,
            "EVENT_STREAM": self.stream,
            "JWT_SECRET": self.secret,
            "PERSONAL_DATA_KEY": self.data_key,
            "READ_MODEL_SCHEMA": SCHEMA,
            "CONSUMER_NAME": "chaos",
            "SUPERVISE_SECONDS": "1",
            "LOG_LEVEL": "warning",
            "HOST": "127.0.0.1",
        }

    def load(self, clients: int) -> Load:
        return Load([s.url for s in self.commands()], self.secret, clients=clients)

    async def stop(self) -> None:
        for service in self.services.values():
            await service.stop()
        for proxy in self.proxies.values():
            await proxy.sever()
        with contextlib.suppress(Exception):
            conn = await asyncpg.connect(self.pg.url)
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            await conn.close()

    async def holder_of(self, lock: int) -> Service | None:
        """The command-api replica whose session holds the advisory lock ``lock`` (found by its proxy's port)."""
        conn = await asyncpg.connect(self.url)
        try:
            ports = await conn.fetch(
                "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1 AND a.datname = $2",
                lock,
                self.database,
            )
        finally:
            await conn.close()
        for row in ports:
            for name, proxy in self.proxies.items():
                if row["client_port"] in proxy.upstream_ports and name in self.services:
                    return self.services[name]
        return None


@dataclass
class Verdict:
    acknowledged: int
    lost: int
    duplicated: int
    stream_complete: bool
    read_model_equal: bool
    wedged: list[str]
    errors: int
    cut: int
    detail: str = ""


async def settle(stack: Stack, within: float = 45.0, quiet: float = 2.0) -> None:
    """Until the projector has applied and the relay published everything in the store, and the store has not
    grown for ``quiet`` seconds (or ``within``). A replica resumed after SIGSTOP still finishes the requests its
    clients gave up on; those may commit after the load ended, and the checks must see them."""
    deadline = time.monotonic() + within
    redis = aioredis.from_url(stack.redis.url)
    settled: tuple[int, float] | None = None  # (position, since when) of the last caught-up state
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=3) as http:
            while time.monotonic() < deadline:
                with contextlib.suppress(Exception):
                    last = await _last_position(stack.url)
                    stream_end = await _stream_end(redis, stack.stream)
                    ready = await http.get(stack.services["projector"].url + "/ready")
                    if ready.status_code == 200 and ready.json()["checkpoint"] == last == stream_end:
                        if settled is None or settled[0] != last:
                            settled = (last, time.monotonic())
                        elif time.monotonic() - settled[1] >= quiet:
                            return
                    else:
                        settled = None
                await asyncio.sleep(0.2)
    finally:
        await redis.aclose()


async def verify(stack: Stack, load: Load) -> Verdict:
    conn = await asyncpg.connect(stack.url)
    try:
        rows = await conn.fetch("SELECT metadata->>'idempotency_key' AS key, count(*) AS n FROM events GROUP BY 1")
        positions = [r["position"] for r in await conn.fetch("SELECT position FROM events ORDER BY position")]
    finally:
        await conn.close()
    written = {r["key"]: r["n"] for r in rows}
    acked = {a.key for a in load.acks}
    lost = sum(1 for key in acked if key not in written)
    duplicated = sum(1 for key, n in written.items() if n > 1 and key is not None)
    redis = aioredis.from_url(stack.redis.url)
    try:
        entries: Any = await redis.xrange(stack.stream)
    finally:
        await redis.aclose()
    ids = [int(entry_id.split(b"-")[0]) for entry_id, _ in entries]
    event_ids = [fields[b"event_id"] for _, fields in entries]
    complete = ids == positions and len(set(event_ids)) == len(event_ids)
    detail = "" if complete else f"stream has {len(ids)} entries, store {len(positions)} events"
    return Verdict(
        acknowledged=len(acked),
        lost=lost,
        duplicated=duplicated,
        stream_complete=complete,
        read_model_equal=await _equals_rebuild(stack),
        wedged=await _wedged(stack),
        errors=len(load.errors),
        cut=load.cut,
        detail=detail,
    )


async def _equals_rebuild(stack: Stack) -> bool:
    pool = await create_pool(stack.url, max_size=2)
    try:
        live_model = PostgresReadModel(pool, SCHEMA)
        live = await live_model.content_hash()
        privacy = Privacy(key_encryption_key(stack.data_key), PostgresKeyStore(pool))  # the services' sealed texts
        report = await rebuild(
            pool, PostgresEventStore(pool), "chaos_rebuilt", store_pool=pool, content_hash=True, privacy=privacy
        )
        if report.content_hash != live:
            checkpoint = await live_model.checkpoint()
            print(f"read model differs: checkpoint {checkpoint}, rebuilt to {report.checkpoint}", file=sys.stderr)
        return report.content_hash == live
    finally:
        await pool.close()


async def _wedged(stack: Stack) -> list[str]:
    """Services whose ``/ready`` does not answer 200, and command-api replicas that cannot take a command."""
    wedged = []
    async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
        for service in stack.services.values():
            if not await service.wait_ready(http, 10):
                wedged.append(service.name)
        for service in stack.commands():
            probe = Load([service.url], stack.secret, clients=1, commands_per_client=1)
            await probe.run(10)
            if not probe.acks:
                wedged.append(f"{service.name} (writes)")
    return sorted(set(wedged))


async def _last_position(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT coalesce(max(position), 0) FROM events"))
    finally:
        await conn.close()


async def _stream_end(redis: aioredis.Redis, stream: str) -> int:
    entries: Any = await redis.xrevrange(stream, count=1)
    return int(entries[0][0].split(b"-")[0]) if entries else 0
