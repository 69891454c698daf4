"""Metrics of several worker processes: the directory the CLI gives them (fresh and private, or the operator's,
emptied of an earlier run), and a worker's ``/metrics`` answering for every worker (two workers simulated in one
process, each with its own files)."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import values
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import mark_process_dead

from tests.support.metrics import Pool, scrape, value
from ticket_service import metrics_workers
from ticket_service.metrics import ScrapeCollector, registry_of, watch_pools
from ticket_service.metrics_workers import ENV, WorkerRegistry, shared_directory
from ticket_service.shell import create_shell


@pytest.fixture
def no_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ``PROMETHEUS_MULTIPROC_DIR`` set; temporary directories made under the returned path."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def test_one_worker_gets_no_directory(no_directory: Path) -> None:
    with shared_directory(1) as path:
        assert path is None and ENV not in os.environ
    assert list(no_directory.iterdir()) == []


def test_several_workers_get_a_fresh_private_directory_removed_at_exit(no_directory: Path) -> None:
    with shared_directory(2) as path:
        assert path is not None and path.parent == no_directory
        assert os.environ[ENV] == str(path)
        assert list(path.iterdir()) == []
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
        (path / "counter_123.db").write_bytes(b"")
    assert not path.exists() and ENV not in os.environ

    with pytest.raises(RuntimeError), shared_directory(2) as failed:
        raise RuntimeError("uvicorn failed")
    assert failed is not None and not failed.exists() and ENV not in os.environ


@pytest.mark.parametrize("workers", [1, 2])
def test_a_directory_the_operator_set_is_emptied_of_metric_files_and_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, workers: int
) -> None:
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_123.db").write_bytes(b"stale")
    (given / "gauge_livesum_123.db").write_bytes(b"stale")
    (given / "README").write_text("not ours")
    monkeypatch.setenv(ENV, str(given))
    with shared_directory(workers) as path:
        assert path == given and os.environ[ENV] == str(given)
        assert sorted(p.name for p in given.iterdir()) == ["README"]
    assert given.is_dir() and os.environ[ENV] == str(given)


def test_a_directory_set_after_prometheus_client_was_imported_is_not_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(ENV, str(tmp_path))
    assert not metrics_workers.enabled()  # this process's values are in memory, not in that directory
    assert "set after prometheus_client was imported" in caplog.text
    assert "WorkerRegistry" not in type(registry_of(create_shell(title="one", version="0"))).__name__


class Workers:
    """Two workers in one process: each its own pid, and so its own files, while it is ``current``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.classes = {pid: values.MultiProcessValue(lambda pid=pid: pid) for pid in (101, 102)}  # type: ignore[no-untyped-call]

    def current(self, pid: int) -> None:
        self.monkeypatch.setattr(values, "ValueClass", self.classes[pid])


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Workers]:
    monkeypatch.setenv(ENV, str(tmp_path))
    yield Workers(monkeypatch)
    values.close_all_multiprocess_files()  # type: ignore[no-untyped-call]


def worker_app(relay: dict[str, float], pools: list[Pool]) -> FastAPI:
    app = create_shell(title="worker", version="0")

    @app.get("/ping")
    async def ping() -> dict[str, bool]:
        return {"ok": True}

    def families() -> Iterator[Metric]:
        yield GaugeMetricFamily("relay_leader", "leading", value=relay["leader"])
        yield GaugeMetricFamily("relay_position", "position", value=relay["position"])
        yield GaugeMetricFamily("unnamed", "no mode given", value=relay["position"])
        yield CounterMetricFamily("relay_failed", "failed rounds", value=relay["failed"])

    registry_of(app).register(ScrapeCollector(families, modes={"relay_leader": "livesum", "relay_position": "livemax"}))
    watch_pools(app, lambda: pools)
    return app


async def get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://worker.test") as client:
        return await client.get(path)


async def scrape_of(app: FastAPI) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://worker.test") as client:
        return await scrape(client)


async def test_a_worker_answers_for_every_worker(workers: Workers) -> None:
    relays = {
        101: {"leader": 1.0, "position": 40.0, "failed": 3.0},
        102: {"leader": 0.0, "position": 0.0, "failed": 2.0},
    }
    pools = {101: [Pool("event_store", 2, 5, 1, 0)], 102: [Pool("event_store", 3, 5, 2, 1)]}
    apps: dict[int, FastAPI] = {}
    for pid in (101, 102):
        workers.current(pid)
        apps[pid] = worker_app(relays[pid], pools[pid])
        assert isinstance(registry_of(apps[pid]), WorkerRegistry)
    for pid, requests in ((101, 3), (102, 2)):
        workers.current(pid)
        for _ in range(requests):
            assert (await get(apps[pid], "/ping")).status_code == 200
    workers.current(102)
    registry = registry_of(apps[102])
    assert isinstance(registry, WorkerRegistry)
    registry.mirror.update()  # what 102's background copy does every second

    workers.current(101)
    samples = await scrape_of(apps[101])
    assert value(samples, "http_requests_total", method="GET", route="/ping", status="200") == 5
    assert value(samples, "http_request_duration_seconds_count", method="GET", route="/ping") == 5
    assert value(samples, "relay_leader") == 1
    assert value(samples, "relay_position") == 40
    assert value(samples, "unnamed", pid="101") == 40 and value(samples, "unnamed", pid="102") == 0
    assert value(samples, "relay_failed_total") == 5
    assert value(samples, "ticket_db_pool_connections", pool="event_store") == 5
    assert value(samples, "ticket_db_pool_connections_in_use", pool="event_store") == 3
    assert value(samples, "process_open_fds") > 0

    relays[101] |= {"failed": 4.0}  # counted since the last copy: one more
    samples = await scrape_of(apps[101])
    assert value(samples, "relay_failed_total") == 6
    relays[101] |= {"failed": 1.0}  # the source started again from 0: one more
    samples = await scrape_of(apps[101])
    assert value(samples, "relay_failed_total") == 7

    mark_process_dead(102, os.environ[ENV])  # type: ignore[no-untyped-call]
    samples = await scrape_of(apps[101])
    assert value(samples, "ticket_db_pool_connections", pool="event_store") == 2  # only the live worker's
    assert value(samples, "http_requests_total", method="GET", route="/ping", status="200") == 5  # counts stay
