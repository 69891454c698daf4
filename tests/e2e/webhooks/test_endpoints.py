"""An endpoint that keeps failing is disabled, re-enabled by an admin, and sent what it missed by a redelivery from
a position; private addresses are refused unless the operator allows them; every route is for admins only."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from .conftest import Desk, bearer, wait_for
from .receiver import Receiver

pytestmark = pytest.mark.e2e


def metric(desk: Desk, line: str) -> float:
    for row in httpx.get(f"{desk.url}/metrics", timeout=10).text.splitlines():
        if row.startswith(line + " "):
            return float(row.split()[-1])
    return 0.0


def test_a_failing_endpoint_is_disabled_re_enabled_and_redelivered(
    desk_factory: Callable[..., Desk], receiver: Receiver
) -> None:
    desk = desk_factory(
        WEBHOOKS_ALLOW_PRIVATE="true", WEBHOOKS_RETRY_SCHEDULE="0.1,0.2", WEBHOOKS_DISABLE_AFTER_FAILURES="2"
    )
    endpoint, secret = desk.register(receiver.url, ["Created"])
    receiver.failing = True
    first = desk.create("Coffee machine")
    desk.fire("assign", first["aggregate_id"], assignee="bob")  # not subscribed: never queued
    second = desk.create("Kettle")

    def disabled() -> bool:
        return desk.api("GET", f"/endpoints/{endpoint}").json()["endpoint"]["enabled"] is False

    wait_for(disabled, "the endpoint disabled after two final failures")
    shown = desk.api("GET", f"/endpoints/{endpoint}").json()["endpoint"]
    assert shown["failure_streak"] == 2 and "2 deliveries in a row failed" in shown["disabled_reason"]
    log = desk.api("GET", f"/endpoints/{endpoint}/deliveries").json()["deliveries"]
    assert [(d["status"], d["attempts"], d["http_status"]) for d in log] == [("failed", 3, 500)] * 2
    assert [d["ticket_id"] for d in log] == [second["aggregate_id"], first["aggregate_id"]]
    wait_for(lambda: metric(desk, "ticket_webhook_endpoints_disabled") == 1, "the disabled gauge")
    assert metric(desk, 'ticket_webhook_deliveries_total{outcome="failed"}') == 2
    assert metric(desk, 'ticket_webhook_deliveries_total{outcome="retrying"}') == 4

    third = desk.create("Toaster")  # while disabled: nothing queued for the endpoint
    receiver.failing = False
    enabled = desk.api("PATCH", f"/endpoints/{endpoint}", json={"enabled": True}).json()["endpoint"]
    assert (enabled["enabled"], enabled["disabled_reason"], enabled["failure_streak"]) == (True, None, 0)
    queued = desk.api("POST", f"/endpoints/{endpoint}/redeliver", json={"from_position": first["position"]})
    assert queued.status_code == 202 and queued.json() == {"success": True, "queued": 3}
    created = {first["aggregate_id"], second["aggregate_id"], third["aggregate_id"]}
    wait_for(lambda: {p["data"]["ticket_id"] for p in receiver.verified(secret)} == created, "the redelivery")
    assert {p["type"] for p in receiver.verified(secret)} == {"Created"}
    wait_for(lambda: metric(desk, "ticket_webhook_endpoints_disabled") == 0, "the disabled gauge back to 0")


def test_private_addresses_are_refused_without_the_operators_allowance(
    desk_factory: Callable[..., Desk], receiver: Receiver
) -> None:
    desk = desk_factory()  # WEBHOOKS_ALLOW_PRIVATE unset
    for url in (receiver.url, "http://localhost:9/x", "http://[::ffff:127.0.0.1]:9/", "http://169.254.169.254/"):
        refused = desk.api("POST", "/endpoints", json={"url": url, "event_types": ["*"]})
        assert refused.status_code == 422 and refused.json()["code"] == "unsafe_url", (url, refused.text)
    refused = desk.api("POST", "/endpoints", json={"url": "ftp://93.184.216.34/", "event_types": ["*"]})
    assert refused.json()["code"] == "unsafe_url"
    assert desk.api("GET", "/endpoints").json()["endpoints"] == []  # nothing written


def test_every_route_is_for_admins_only(desk_factory: Callable[..., Desk]) -> None:
    desk = desk_factory(WEBHOOKS_ALLOW_PRIVATE="true")
    endpoint, _ = desk.register("http://127.0.0.1:9/x")
    paths = httpx.get(f"{desk.url}/openapi.json", timeout=10).json()["paths"]
    routes = [
        (method.upper(), path.replace("{endpoint_id}", endpoint))
        for path, operations in paths.items()
        if path.startswith("/api/webhooks")
        for method in operations
    ]
    assert len(routes) == 7
    for method, path in routes:
        body = {"url": "http://127.0.0.1:9/y", "event_types": ["*"], "from_position": 1}
        anonymous = httpx.request(method, desk.url + path, json=body, timeout=10)
        assert anonymous.status_code == 401, (method, path, anonymous.text)
        for role in ("customer", "agent", "supervisor"):
            refused = httpx.request(method, desk.url + path, json=body, headers=bearer("eve", role), timeout=10)
            assert refused.status_code == 403 and refused.json()["code"] == "forbidden", (method, path, role)
    assert [e["id"] for e in desk.api("GET", "/endpoints").json()["endpoints"]] == [endpoint]  # nothing changed
    answer = desk.api("GET", "/endpoints").json()
    assert "secret" not in str(answer).lower()
