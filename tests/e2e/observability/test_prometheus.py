"""A real Prometheus (Debian's ``prometheus``) scraping the distributed stack as real processes: the metrics move
when commands flow (queried before and after through Prometheus' HTTP API), and every query of the Grafana
dashboard and every expression of the alert rules runs there without an error, on metrics the stack exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import RedisNamespace
from tests.support.processes import Process, clean_environment, free_port, terminate
from ticket_service.auth import mint_token

REPO = Path(__file__).resolve().parents[3]
OBSERVABILITY = REPO / "deploy" / "observability"
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "help-desk.json"
ALERTS = OBSERVABILITY / "alerts.yml"
SECRET = "prometheus-test-secret-0123456789abcdef"
BIN = Path(sys.executable).parent
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
JOBS = {"command-api": "serve", "projector": "run", "query-api": "serve", "webhooks": "run"}


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, sub, [role])}"}


@dataclass
class Prometheus:
    url: str

    def query(self, expr: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10)
        body = answer.json()
        assert answer.status_code == 200 and body["status"] == "success", f"{expr}: {answer.text}"
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def value(self, expr: str) -> float:
        """The single value of ``expr`` (0 when it has no series yet)."""
        result = self.query(expr)
        assert len(result) <= 1, f"{expr}: {result}"
        return float(result[0]["value"][1]) if result else 0.0

    def wait(self, what: str, holds: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not holds():
            assert time.monotonic() < deadline, f"{what}: not seen through Prometheus within {timeout}s"
            time.sleep(0.5)


@pytest.fixture
def stack(database_url: str, redis_namespace: RedisNamespace, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The four services as processes, their gauges refreshed every second; stopped afterwards."""
    env = clean_environment(
        DATABASE_URL=database_url,
        REDIS_URL=redis_namespace.url,
        EVENT_STREAM=redis_namespace.key("events"),
        PROJECTOR_GROUP=redis_namespace.key("projector"),
        CONSUMER_NAME=redis_namespace.key("replica-1"),
        SLA_ALERT_STREAM=redis_namespace.key("sla-alerts"),
        WEBHOOKS_GROUP=redis_namespace.key("webhooks"),
        JWT_SECRET=SECRET,
        HOST="127.0.0.1",
        METRICS_REFRESH_SECONDS="1",
    )
    for cli in ("ticket-command-api", "ticket-projector", "ticket-webhooks"):
        done = subprocess.run([str(BIN / cli), "migrate"], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    processes: dict[str, Process] = {}
    try:
        for job, verb in JOBS.items():
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            command = [str(BIN / f"ticket-{job}"), verb]
            processes[job] = Process(command, env | {"PORT": str(port)}, tmp_path / f"{job}.log", url)
        for process in processes.values():
            process.wait_until("/ready")
        yield {job: process.url for job, process in processes.items()}
    finally:
        for process in processes.values():
            process.stop()


@pytest.fixture
def prometheus(stack: dict[str, str], tmp_path: Path) -> Iterator[Prometheus]:
    """Prometheus on a loopback port scraping the stack every second with the alert rules loaded; its data in
    the test's directory. Skipped only when Debian's ``prometheus`` is not installed."""
    if not Path(PROMETHEUS).exists():
        pytest.skip("the prometheus binary is absent (apt-get install prometheus; `make system-deps` installs it)")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [url.removeprefix("http://")]}]}
            for job, url in stack.items()
        ],
    }
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        server = Prometheus(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while not _ready(server.url):
            output = (tmp_path / "prometheus.log").read_text(errors="replace")
            assert process.poll() is None, f"prometheus exited:\n{output}"
            assert time.monotonic() < deadline, f"prometheus not ready within 60s:\n{output}"
            time.sleep(0.2)
        server.wait("every service scraped", lambda: server.value("sum(up)") == len(JOBS))
        yield server
    finally:
        terminate(process)
        log.close()


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


MOVED = {
    "commands accepted": 'sum(ticket_commands_total{outcome="accepted"})',
    "commands refused": 'sum(ticket_commands_total{outcome="forbidden"})',
    "events appended": "sum(ticket_events_appended_total)",
    "appends observed": "sum(ticket_append_events_count)",
    "group commits": "sum(ticket_group_commit_appends_count)",
    "events published by the relay": "sum(ticket_relay_events_published_total)",
    "events applied by the projector": "sum(ticket_projector_events_applied_total)",
    "projector batches": "sum(ticket_projector_batch_events_count)",
    "HTTP requests to the command API": 'sum(http_requests_total{job="command-api", route="/api/support-ticket"})',
}


def test_the_metrics_move_through_prometheus_and_every_dashboard_and_alert_query_runs(
    stack: dict[str, str], prometheus: Prometheus
) -> None:
    prometheus.wait("the projector's gauges", lambda: bool(prometheus.query("ticket_projector_checkpoint_position")))
    before = {name: prometheus.value(expr) for name, expr in MOVED.items()}
    assert prometheus.value("sum(ticket_relay_leader)") == 1

    customer, agent = bearer("alice", "customer"), bearer("bob", "agent")
    created = [
        httpx.post(f"{stack['command-api']}/api/support-ticket", headers=customer, json={"subject": f"metrics {n}"})
        for n in range(3)
    ]
    assert [c.status_code for c in created] == [201, 201, 201]
    ticket = created[0].json()["aggregate_id"]
    assigned = httpx.post(f"{stack['command-api']}/api/assign", headers=agent, json={"aggregate_id": ticket})
    assert assigned.status_code == 200, assigned.text
    refused = httpx.post(f"{stack['command-api']}/api/assign", headers=customer, json={"aggregate_id": ticket})
    assert refused.status_code == 403
    last = assigned.json()["position"]

    stream_url = f"{stack['query-api']}/api/stream?access_token={mint_token(SECRET, 'bob', ['agent'])}"
    with httpx.stream("GET", stream_url, timeout=30) as live:
        assert live.status_code == 200
        prometheus.wait("one live client", lambda: prometheus.value("sum(ticket_live_clients)") == 1)
        expected = {"commands accepted": 4, "commands refused": 1, "events appended": 4, "appends observed": 4}
        expected |= {"events published by the relay": 4, "events applied by the projector": 4}
        for name, expr in MOVED.items():
            wait_moved(prometheus, name, expr, before[name], expected.get(name, 1))
        prometheus.wait(
            "the projector's checkpoint at the last position",
            lambda: prometheus.value("max(ticket_projector_checkpoint_position)") == last,
        )
        prometheus.wait("the tickets per place", lambda: prometheus.value('max(ticket_tickets{place="new"})') == 2)
        assert prometheus.value('max(ticket_tickets{place="assigned"})') == 1
        assert prometheus.value("max(ticket_relay_published_position)") == last
        assert prometheus.value("max(ticket_projector_behind_positions)") == 0
        assert prometheus.value("max(ticket_projector_halted)") == 0
        assert prometheus.value('max(ticket_db_pool_connections_max{job="command-api", pool="event_store"})') > 0
        assert prometheus.query('ticket_db_pool_connections_in_use{job="query-api", pool="read_model"}')

        dashboard, alerts = dashboard_queries(), alert_expressions()
        assert len(dashboard) >= 20 and len(alerts) >= 10
        for title, expr in dashboard:
            assert prometheus.query(expr), f"dashboard panel {title!r} has no data: {expr}"
        for name, expr in alerts:  # each runs without an error, and a healthy stack fires nothing
            assert prometheus.query(expr) == [], f"{name} would fire on a healthy stack: {expr}"
        unknown = sorted(
            name for name in metric_names([expr for _, expr in dashboard + alerts]) if not prometheus.query(name)
        )
        assert unknown == [], f"queried but not exported by the stack: {unknown}"
    prometheus.wait("the live client gone", lambda: prometheus.value("sum(ticket_live_clients)") == 0)
    rules = httpx.get(f"{prometheus.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    health = {rule["name"]: rule["health"] for group in rules for rule in group["rules"]}
    assert set(health) == {name for name, _ in alerts}
    prometheus.wait("every rule evaluated", lambda: _all_ok(prometheus))


def wait_moved(prometheus: Prometheus, name: str, expr: str, start: float, least: float) -> None:
    prometheus.wait(f"{name} to move by {least}", lambda: prometheus.value(expr) - start >= least)


def _all_ok(prometheus: Prometheus) -> bool:
    groups = httpx.get(f"{prometheus.url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    return all(rule["health"] == "ok" for group in groups for rule in group["rules"])


def dashboard_queries() -> list[tuple[str, str]]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [(panel["title"], target["expr"]) for panel in panels for target in panel.get("targets", [])]


def alert_expressions() -> list[tuple[str, str]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [(rule["alert"], rule["expr"]) for group in groups for rule in group["rules"]]


def metric_names(exprs: list[str]) -> set[str]:
    """The metric names the expressions select (``ticket_*``, ``http_*``, ``up``), histogram suffixes included."""
    return {name for expr in exprs for name in re.findall(r"\b(?:ticket|http)_[a-z_]+\b|\bup\b", expr)}
