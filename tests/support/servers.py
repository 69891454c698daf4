"""Where the real servers for tests come from.

In order: URLs in the environment (CI and local servers), testcontainers when a Docker engine answers,
otherwise a failure that says exactly what to start.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

HOW_TO_START = (
    "no {what} for the tests: set {var} (e.g. {example}) or start a Docker engine for testcontainers. "
    "On a machine with a local server: {start}"
)


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A URL of a Postgres server whose user may create databases."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with _container("PostgreSQL", "TEST_DATABASE_URL", PostgresContainer("postgres:15", driver=None)) as pg:
            yield pg.get_connection_url()
        return
    raise RuntimeError(
        HOW_TO_START.format(
            what="PostgreSQL",
            var="TEST_DATABASE_URL",
            example="postgresql://postgres@127.0.0.1:5432/postgres",
            start="pg_ctlcluster --skip-systemctl-redirect 15 main start",
        )
    )


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    if _docker_answers():
        from testcontainers.redis import RedisContainer

        with _container("Redis", "TEST_REDIS_URL", RedisContainer("redis:7")) as redis:
            host, port = redis.get_container_host_ip(), redis.get_exposed_port(6379)
            yield f"redis://{host}:{port}/0"
        return
    raise RuntimeError(
        HOW_TO_START.format(
            what="Redis",
            var="TEST_REDIS_URL",
            example="redis://127.0.0.1:6379/0",
            start="redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''",
        )
    )


@contextlib.contextmanager
def _container(what: str, var: str, container: Any) -> Iterator[Any]:
    """Start a testcontainer, or say why it could not start and what to set instead."""
    try:
        started = container.start()
    except Exception as exc:
        raise RuntimeError(
            f"a Docker engine answers but the {what} container could not start ({type(exc).__name__}: {exc}); "
            f"set {var} to a running server instead"
        ) from None
    try:
        yield started
    finally:
        container.stop()


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))
