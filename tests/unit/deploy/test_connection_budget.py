"""The PostgreSQL connections of every pod, at every autoscaler's maximum and during a rollout, fit below the
server's ``max_connections``: computed from the manifests and the services' own defaults (deploy/README.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ticket_command.settings import Settings as CommandSettings
from ticket_query.settings import QuerySettings

ROOT = Path(__file__).resolve().parents[3]
MANIFESTS = ROOT / "deploy" / "kubernetes"
RESERVED = 3  # PostgreSQL's superuser_reserved_connections: not for applications
RELAY = 1  # the relay's dedicated session, in every command-api worker
QUERY_FIXED = 2 + 1  # the event store pool of /ready, and the checkpoint listener
PROJECTOR = 4 + 2  # its read-model pool, and its event store pool when EVENT_STORE_URL is another database
WEBHOOKS = 3  # the dispatcher's pool, the event store's included
MIGRATION = 1  # the Job's one connection at a time
SURGE = 1  # every Deployment rolls with maxSurge 1


def manifests() -> list[dict[str, Any]]:
    return [doc for path in sorted(MANIFESTS.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in manifests() if doc["kind"] == kind}


def env(deployment: dict[str, Any], name: str, default: int) -> int:
    for container in deployment["spec"]["template"]["spec"]["containers"]:
        for variable in container.get("env", []):
            if variable["name"] == name:
                return int(variable["value"])
    return default


def per_pod(name: str, deployment: dict[str, Any]) -> int:
    if name == "command-api":
        workers = env(deployment, "WEB_CONCURRENCY", CommandSettings().web_concurrency)
        return workers * (env(deployment, "DB_POOL_MAX_SIZE", CommandSettings().db_pool_max_size) + RELAY)
    if name == "query-api":
        return env(deployment, "DB_READ_CONNECTIONS", QuerySettings().db_read_connections) + QUERY_FIXED
    if name == "projector":
        return PROJECTOR
    if name == "webhooks":
        return WEBHOOKS
    return 0  # the gateway holds none


def kubernetes_budget() -> tuple[int, int]:
    deployments, autoscalers = of_kind("Deployment"), of_kind("HorizontalPodAutoscaler")
    needed = MIGRATION
    for name, deployment in deployments.items():
        most = autoscalers[name]["spec"]["maxReplicas"] if name in autoscalers else deployment["spec"]["replicas"]
        surge = 0 if deployment["spec"].get("strategy", {}).get("type") == "Recreate" else SURGE
        needed += (most + surge) * per_pod(name, deployment)
    config = of_kind("ConfigMap")["support-ticket-config"]
    return needed, int(config["metadata"]["annotations"]["support-ticket/postgres-max-connections"])


def test_the_kubernetes_pools_fit_postgres_max_connections() -> None:
    needed, max_connections = kubernetes_budget()
    assert needed <= max_connections - RESERVED, f"{needed} connections needed, {max_connections} allowed"
    assert needed >= 50  # the sum was computed from the manifests, not from an empty list


def test_the_budget_counts_every_pool() -> None:
    """Per pod: command-api 4 + 1, query-api 3 + 3, projector 6, webhooks 3 (one pod, recreated: no surge); 7 pods
    each at most (6 + a surging one)."""
    assert kubernetes_budget()[0] == 7 * 5 + 7 * 6 + 2 * 6 + 3 + 1


def test_the_compose_postgres_allows_the_default_scale_and_more() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = " ".join(compose["services"]["postgres"]["command"])
    max_connections = int(re.search(r"max_connections=\$\{POSTGRES_MAX_CONNECTIONS:-(\d+)\}", command)[1])  # type: ignore[index]
    command_api = CommandSettings().db_pool_max_size + RELAY
    query_api = QuerySettings().db_read_connections + QUERY_FIXED
    # One of each as compose starts them, plus the README's example of three command-api replicas.
    needed = 3 * command_api + query_api + PROJECTOR + WEBHOOKS + MIGRATION
    assert needed <= max_connections - RESERVED
