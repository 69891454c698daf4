"""deploy/kubernetes: every manifest is valid against the Kubernetes schema, and the objects fit together.

Schema validation uses kubernetes-validate, which ships the OpenAPI-derived JSON schemas of each Kubernetes release:
no cluster and no network (the tests refuse any connection to prove it). Strict mode also refuses unknown fields,
so a misspelt key fails here rather than being dropped silently by the API server.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

MANIFESTS = Path(__file__).resolve().parents[3] / "deploy" / "kubernetes"
KUSTOMIZATION = "kustomization.yaml"
# The oldest release still supported by the major managed offerings, and the newest the validator knows.
KUBERNETES_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
SCALABLE_APIS = ("command-api", "query-api")

Manifest = dict[str, Any]


def _documents() -> list[tuple[str, Manifest]]:
    found = []
    for path in sorted(MANIFESTS.glob("*.yaml")):
        if path.name == KUSTOMIZATION:
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((path.name, document))
    return found


DOCUMENTS = _documents()


def _ident(document: Manifest) -> str:
    return f"{document['kind']}/{document['metadata']['name']}"


def _of_kind(kind: str) -> dict[str, Manifest]:
    return {d["metadata"]["name"]: d for _, d in DOCUMENTS if d["kind"] == kind}


def _pod_specs() -> Iterator[tuple[str, Manifest]]:
    for _, document in DOCUMENTS:
        if document["kind"] in ("Deployment", "Job"):
            yield _ident(document), document["spec"]["template"]["spec"]


def _containers() -> Iterator[tuple[str, Manifest]]:
    for owner, pod in _pod_specs():
        for container in pod.get("initContainers", []) + pod["containers"]:
            yield f"{owner}/{container['name']}", container


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the manifest checks must not touch the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_manifests_are_found() -> None:
    kinds = {d["kind"] for _, d in DOCUMENTS}
    assert {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "Secret",
        "Job",
    } <= kinds


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize(("file", "document"), DOCUMENTS, ids=[f"{f}:{_ident(d)}" for f, d in DOCUMENTS])
def test_manifest_is_valid_against_the_kubernetes_schema(file: str, document: Manifest, version: str) -> None:
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        pytest.fail(
            f"{file} {_ident(document)} is invalid for Kubernetes {version}: {error.message} at {list(error.path)}"
        )


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((MANIFESTS / KUSTOMIZATION).read_text())
    on_disk = {p.name for p in MANIFESTS.glob("*.yaml")} - {KUSTOMIZATION}
    assert sorted(kustomization["resources"]) == sorted(on_disk)
    images = {image["name"] for image in kustomization["images"]}
    assert images == {c["image"].split(":")[0] for _, c in _containers()}


def test_everything_lives_in_the_namespace_the_manifests_create() -> None:
    namespaces = set(_of_kind("Namespace"))
    assert len(namespaces) == 1
    for file, document in DOCUMENTS:
        if document["kind"] != "Namespace":
            assert document["metadata"].get("namespace") in namespaces, f"{file} {_ident(document)}"


def test_deployment_selectors_match_their_pod_labels() -> None:
    for name, deployment in _of_kind("Deployment").items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert _selects(deployment["spec"]["selector"]["matchLabels"], labels), name


def test_each_service_selects_pods_that_declare_its_target_port() -> None:
    deployments = _of_kind("Deployment")
    for name, service in _of_kind("Service").items():
        selected = [
            d
            for d in deployments.values()
            if _selects(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(selected) == 1, f"Service/{name} selects {len(selected)} Deployments"
        declared = {
            value
            for container in selected[0]["spec"]["template"]["spec"]["containers"]
            for port in container.get("ports", [])
            for value in (port["containerPort"], port.get("name"))
        }
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in declared, f"Service/{name} targets undeclared port {port['targetPort']}"


def test_referenced_config_maps_and_secrets_exist_with_their_keys() -> None:
    sources = {"configMap": _of_kind("ConfigMap"), "secret": _of_kind("Secret")}

    def keys(kind: str, name: str) -> set[str]:
        assert name in sources[kind], f"{kind} {name} is referenced but not defined"
        document = sources[kind][name]
        return set(document.get("data", {})) | set(document.get("stringData", {}))

    for owner, container in _containers():
        for source in container.get("envFrom", []):
            for kind in ("configMap", "secret"):
                if f"{kind}Ref" in source:
                    keys(kind, source[f"{kind}Ref"]["name"])
        for variable in container.get("env", []):
            for kind in ("configMap", "secret"):
                ref = variable.get("valueFrom", {}).get(f"{kind}KeyRef")
                if ref:
                    assert ref["key"] in keys(kind, ref["name"]), f"{owner}: {variable['name']}"


def test_every_service_gets_the_settings_it_needs() -> None:
    provided = set().union(
        *(set(s.get("stringData", {})) | set(s.get("data", {})) for s in _of_kind("Secret").values())
    )
    assert {"DATABASE_URL", "REDIS_URL", "JWT_SECRET"} <= provided
    for owner, container in _containers():
        if container["image"].startswith("support-ticket/app"):
            refs = {s.get("secretRef", {}).get("name") for s in container.get("envFrom", [])}
            assert refs & set(_of_kind("Secret")), f"{owner} gets no DATABASE_URL"


def test_deployments_have_probes_on_declared_ports_resources_and_run_as_non_root() -> None:
    for name, deployment in _of_kind("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        for container in pod["containers"]:
            ports = {p.get("name") for p in container["ports"]} | {p["containerPort"] for p in container["ports"]}
            assert container["readinessProbe"]["httpGet"]["path"] == "/ready", name
            assert container["livenessProbe"]["httpGet"]["path"] == "/health", name
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if probe in container:
                    assert container[probe]["httpGet"]["port"] in ports, f"{name}: {probe} on an undeclared port"
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert "memory" in container["resources"]["limits"], name
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name


def test_both_apis_autoscale_and_the_targets_exist() -> None:
    deployments = _of_kind("Deployment")
    autoscalers = _of_kind("HorizontalPodAutoscaler")
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()}
    assert set(SCALABLE_APIS) <= targets
    for name, hpa in autoscalers.items():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments, name
        assert hpa["spec"]["minReplicas"] >= 2, f"{name}: one replica is no high availability"
        container = deployments[target["name"]]["spec"]["template"]["spec"]["containers"][0]
        assert "cpu" in container["resources"]["requests"], f"{name}: CPU utilisation needs a CPU request"


def test_disruption_budgets_cover_the_scalable_deployments_only() -> None:
    deployments = _of_kind("Deployment")
    covered = set()
    for name, budget in _of_kind("PodDisruptionBudget").items():
        selector = budget["spec"]["selector"]["matchLabels"]
        matched = [
            d for d, dep in deployments.items() if _selects(selector, dep["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(matched) == 1, f"PodDisruptionBudget/{name} selects {matched}"
        assert deployments[matched[0]]["spec"]["replicas"] > budget["spec"]["minAvailable"], name
        covered.add(matched[0])
    assert set(SCALABLE_APIS) <= covered
    assert "projector" not in covered  # a budget on a single replica would block every node drain


def test_the_projector_is_single_active() -> None:
    projector = _of_kind("Deployment")["projector"]
    assert projector["spec"]["replicas"] == 1
    assert "projector" not in {
        h["spec"]["scaleTargetRef"]["name"] for h in _of_kind("HorizontalPodAutoscaler").values()
    }


def test_the_migration_job_runs_both_migrations_with_the_services_image() -> None:
    job = _of_kind("Job")["support-ticket-migrate"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    command = " ".join(container["command"])
    assert "ticket-command-api migrate" in command and "ticket-projector migrate" in command
    api = _of_kind("Deployment")["command-api"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == api["image"]


def test_the_gateway_reaches_the_api_services_on_their_ports() -> None:
    services = _of_kind("Service")
    gateway = _of_kind("Deployment")["gateway"]["spec"]["template"]["spec"]["containers"][0]
    env = {v["name"]: v.get("value", "") for v in gateway["env"]}
    for variable in ("COMMAND_API_ADDR", "QUERY_API_ADDR"):
        host, port = env[variable].rsplit(":", 1)
        name = host.split(".")[0]
        assert name in services, f"{variable} names no Service"
        assert int(port) in {p["port"] for p in services[name]["spec"]["ports"]}, f"{variable}: port {port}"
