"""The fixtures hand out real, isolated servers and clean up after themselves."""

from __future__ import annotations

import asyncpg

from tests.conftest import RedisNamespace


async def test_each_test_gets_a_fresh_empty_database(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        await conn.execute("CREATE TABLE scratch (id int)")
        assert tables == 0
        assert (await conn.fetchval("SELECT current_database()")).startswith("test_")
    finally:
        await conn.close()


async def test_each_test_gets_its_own_redis_namespace(redis_namespace: RedisNamespace, redis_client) -> None:
    key = redis_namespace.key("greeting")
    await redis_client.set(key, "hello")
    assert await redis_client.get(key) == "hello"
    assert await redis_client.keys(redis_namespace.prefix + "*") == [key]
