"""Shared fixtures: markers from folders, and fresh Postgres databases and Redis namespaces per test."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from tests.support.ids import random_suffix
from tests.support.servers import postgres_server, redis_server, with_database

LAYERS = ("unit", "contract", "integration", "e2e")
# The key-encryption key of personal data for every service a test starts (in-process or as a process that
# inherits the environment); services refuse to start without one unless DEBUG=true.
TEST_PERSONAL_DATA_KEY = "dGVzdHMtb25seSBwZXJzb25hbCBkYXRhIGtleSAzMiE="
os.environ.setdefault("PERSONAL_DATA_KEY", TEST_PERSONAL_DATA_KEY)
# Likewise the key sealing webhook endpoints' secrets (the embedded app runs the webhook dispatcher too).
os.environ.setdefault("WEBHOOKS_SECRET_KEY", "dGVzdHMtb25seSB3ZWJob29rIHNlY3JldHMga2V5ISE=")
TESTS = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test gets the marker of the layer folder it lives in."""
    for item in items:
        layer = Path(str(item.fspath)).relative_to(TESTS).parts[0]
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


@contextlib.contextmanager
def _or_fail(server: contextlib.AbstractContextManager[str]) -> Iterator[str]:
    try:
        url = server.__enter__()
    except RuntimeError as exc:
        message = str(exc)
    else:
        try:
            yield url
        finally:
            server.__exit__(None, None, None)
        return
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with _or_fail(postgres_server()) as url:
        yield url


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    with _or_fail(redis_server()) as url:
        yield url


@pytest.fixture
def database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped after the test."""
    name = f"test_{random_suffix()}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(postgres_server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(postgres_server_url, name)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass(frozen=True)
class RedisNamespace:
    url: str
    prefix: str

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"


@pytest.fixture
def redis_namespace(redis_server_url: str) -> Iterator[RedisNamespace]:
    """A key prefix no other test uses; every key under it is deleted after the test."""
    namespace = RedisNamespace(redis_server_url, f"test:{random_suffix()}:")
    yield namespace

    async def cleanup() -> None:
        client = aioredis.from_url(redis_server_url)
        try:
            keys = [k async for k in client.scan_iter(match=namespace.prefix + "*", count=500)]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()

    asyncio.run(cleanup())


@pytest.fixture
async def redis_client(redis_namespace: RedisNamespace) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(redis_namespace.url, decode_responses=True)
    yield client
    await client.aclose()
