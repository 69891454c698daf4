"""The observability files as operators get them: the compose profile adds only Prometheus and Grafana, mounting
files that exist; Prometheus scrapes the compose services on their ports; the rules pass ``promtool check rules``
and their unit tests (``promtool test rules``); the dashboard uses the provisioned data source."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
OBSERVABILITY = REPO / "deploy" / "observability"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    return loaded


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if not Path(PROMTOOL).exists():
        pytest.skip("promtool is absent (apt-get install prometheus; `make system-deps` installs it)")
    return subprocess.run([PROMTOOL, *args], cwd=OBSERVABILITY, capture_output=True, text=True, timeout=60)


def test_the_observability_profile_adds_prometheus_and_grafana_only() -> None:
    services = compose()["services"]
    profiled = {name for name, service in services.items() if "observability" in service.get("profiles", [])}
    assert profiled == {"prometheus", "grafana"}
    assert all(not service.get("profiles") for name, service in services.items() if name not in profiled)
    for name in profiled:
        for volume in services[name]["volumes"]:
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts {source}, which does not exist"
        for port in services[name]["ports"]:
            assert port.startswith("${") and "127.0.0.1" in port, f"{name} must publish on loopback by default"


def test_prometheus_scrapes_the_compose_services_on_their_ports() -> None:
    services = compose()["services"]
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    jobs = [(job["job_name"], sd) for job in config["scrape_configs"] for sd in job.get("dns_sd_configs", [])]
    scraped = {name: (sd["names"][0], sd["port"]) for name, sd in jobs}
    for name in ("command-api", "projector", "query-api", "webhooks"):
        assert scraped[name] == (name, int(services[name]["environment"]["PORT"]))
    mounted = [v.split(":")[1] for v in services["prometheus"]["volumes"]]
    assert all(rule in mounted for rule in config["rule_files"])


def test_the_dashboard_uses_the_provisioned_data_source() -> None:
    source = yaml.safe_load((OBSERVABILITY / "grafana/provisioning/datasources/prometheus.yml").read_text())
    [datasource] = source["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((OBSERVABILITY / "grafana/provisioning/dashboards/help-desk.yml").read_text())
    grafana_mounts = {v.split(":")[1]: v.split(":")[0] for v in compose()["services"]["grafana"]["volumes"]}
    folder = grafana_mounts[provider["providers"][0]["options"]["path"]]
    dashboard = json.loads((REPO / folder / "help-desk.json").read_text())
    targets = [t for panel in dashboard["panels"] for t in panel.get("targets", [])]
    assert targets and all(t["datasource"]["uid"] == datasource["uid"] for t in targets)


def test_the_alert_rules_pass_promtool_and_their_unit_tests() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_the_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    config["rule_files"] = [str(OBSERVABILITY / "alerts.yml")]  # where compose mounts it, here
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_docker_compose_accepts_the_profile(tmp_path: Path) -> None:
    plugin = shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True)
    if shutil.which("docker-compose"):
        command = ["docker-compose"]
    elif plugin and plugin.returncode == 0:
        command = ["docker", "compose"]
    else:
        pytest.skip("no docker compose here; the YAML checks above cover the file")
    env_file = tmp_path / ".env"
    env_file.write_text(
        "DATABASE_URL=postgresql://u:p@postgres/db\nPOSTGRES_PASSWORD=p\nWEBHOOKS_SECRET_KEY=k\nPERSONAL_DATA_KEY=k\n"
    )
    args = ["--env-file", str(env_file), "-f", str(REPO / "docker-compose.yml"), "--profile", "observability"]
    done = subprocess.run([*command, *args, "config", "--services"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert {"prometheus", "grafana"} <= set(done.stdout.split())
