"""Webhooks in a real Chromium, against the distributed system as `make stack` runs it (command API with its relay,
projector, query API, the dispatcher, the nginx gateway; PostgreSQL and Redis): an administrator registers an
endpoint of a partner's receiver running in the test, reads the signing secret once, sees the deliveries arrive in
the log (each verified by an independent Standard Webhooks implementation), disables and enables it, redelivers
from a position, edits and deletes it. A private address is refused with the reason in plain words. The
service-level and personal-data pages are driven through the same gateway.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.conftest import RedisNamespace
from tests.e2e.deploy.test_stack import STACK, new_database_url
from tests.e2e.ui.arrange import Api
from tests.e2e.ui.test_system_ui import _axe, _focused
from tests.e2e.ui.test_ui import HelpDesk
from tests.e2e.webhooks.conftest import wait_for
from tests.e2e.webhooks.receiver import Receiver
from tests.support.ids import random_suffix
from tests.support.processes import free_port

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs" / "screenshots"
READY_SECONDS = 90
__all__ = ["new_database_url"]  # the fixture, for the stack below
CARD = "[data-testid=endpoints] section.endpoint"


@pytest.fixture
def stack(new_database_url: str, redis_namespace: RedisNamespace, tmp_path: Path) -> Iterator[str]:
    """`make stack` in debug mode (the services, the dispatcher and the nginx gateway); the gateway's URL."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        pytest.skip("nginx is not installed (apt-get install nginx)")
    names = ("PORT", "COMMAND_API_PORT", "QUERY_API_PORT", "PROJECTOR_PORT", "WEBHOOKS_PORT")
    ports = {name: free_port() for name in names}
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "DATABASE_URL": new_database_url,
        "REDIS_URL": redis_namespace.url,
        "EVENT_STREAM": redis_namespace.key("events"),
        "SLA_ALERT_STREAM": redis_namespace.key("sla-alerts"),
        "PROJECTOR_GROUP": redis_namespace.key("projector"),
        # The dispatcher's group keeps its default name: its streams are this test's own.
        "WEBHOOKS_ALLOWED_HOSTS": "127.1",  # the receiver (127.0.0.1); every other private address stays refused
        "WEBHOOKS_POLL_SECONDS": "0.2",
        "WEBHOOKS_TIMEOUT_SECONDS": "2",
        "WEBHOOKS_RETRY_SCHEDULE": "0.2",  # one retry, at once
        "WEBHOOKS_DISABLE_AFTER_FAILURES": "1",  # a delivery failed after its retry disables the endpoint
        "DEBUG": "true",
        "NO_COLOR": "1",
    }
    log_path = tmp_path / "stack.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(STACK)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + READY_SECONDS
            while "ready: web UI and API" not in log_path.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"make stack did not get ready:\n{log_path.read_text(errors='replace')[-3000:]}")
                time.sleep(0.2)
            yield f"http://127.0.0.1:{ports['PORT']}"
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(free_port())
    made.start()
    try:
        yield made
    finally:
        made.stop()


def _types(receiver: Receiver, secret: str) -> list[str]:
    return [str(p["type"]) for p in receiver.verified(secret)]


def test_an_admin_registers_an_endpoint_and_follows_its_deliveries(
    browser: Callable[..., WebDriver], stack: str, receiver: Receiver, screenshots: Path
) -> None:
    tag = random_suffix()
    admin_name = f"root-{tag}"
    admin = HelpDesk(browser(), stack, screenshots, "admin")
    admin.sign_in(admin_name, "admin")
    admin.click("#nav a[href='#/webhooks']")
    admin.find("[data-testid=endpoints-none]")
    assert admin.attr("#nav a[href='#/webhooks']", "aria-current") == "page"

    # Checks before sending, then the server's refusal of an internal address, in plain words.
    admin.click("#webhook-register [data-testid=webhook-submit]")
    assert "Give the address" in admin.text("#webhook-register .form-error")
    admin.find("[data-testid=webhook-url]").send_keys("http://10.1.2.3/hooks")
    admin.click("#webhook-register input[value=Created]")
    admin.click("#webhook-register [data-testid=webhook-submit]")
    admin.wait(lambda d: "otherwise internal" in admin.text("#webhook-register .form-error"), message="refused")
    assert admin.attr("[data-testid=webhook-url]", "aria-invalid") == "true"

    # Registered: the secret is shown once, with a warning and a copy button; closing gives focus back.
    url = admin.find("[data-testid=webhook-url]")
    url.clear()
    url.send_keys(f"http://127.1:{receiver.port}/hooks")
    admin.click("#webhook-register input[value='*']")
    admin.find("#webhook-register input[name=description]").send_keys("CRM of the partner")
    admin.click("#webhook-register [data-testid=webhook-submit]")
    dialog = admin.find("dialog[open]")
    assert "only time the secret is shown" in dialog.text
    secret = admin.attr("[data-testid=webhook-secret]", "value")
    assert secret.startswith("whsec_")
    admin.click("[data-testid=copy-secret]")
    admin.wait(lambda d: admin.text("[data-testid=copy-status]"), message="the copy is told")
    assert _axe(admin, "admin: webhook secret", "dialog[open]") == []
    admin.click("[data-testid=secret-done]")
    admin.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog"), message="dialog closed")
    assert admin.d.execute_script("return document.activeElement.id") == "register-title"
    admin.wait(lambda d: "Registered" in admin.text("[data-testid=outcome]"), message="the list says it")
    assert secret not in admin.d.page_source, "shown once only"
    assert admin.text(f"{CARD} [data-testid=webhook-state]").endswith("Enabled")
    assert admin.text(f"{CARD} [data-testid=webhook-types]") == "All events"
    assert admin.text(f"{CARD} [data-testid=failure-streak]") == "0"

    # Events arrive at the receiver, signed; the log lists them.
    customer = Api(stack, f"ada-{tag}", "customer")
    agent = Api(stack, f"bob-{tag}", "agent")
    created = customer.call("POST", "/api/support-ticket", {"subject": "Invoice missing"})
    ticket = str(created["aggregate_id"])
    agent.fire("assign", ticket, assignee=agent.user)
    wait_for(lambda: _types(receiver, secret)[:2] == ["Created", "Assigned"], "both events at the receiver")
    admin.click(f"{CARD} [data-testid=webhook-log]")
    admin.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=deliveries] tbody tr")) >= 2, 20)
    rows = admin.text("[data-testid=deliveries]")
    assert "Created" in rows and "Assigned" in rows and "204" in rows
    assert admin.attr("[data-testid=deliveries] tbody tr", "data-status") == "delivered"
    assert _axe(admin, "admin: webhooks with the log", "[data-testid=deliveries]") == []
    admin.shot("75-webhooks")
    shutil.copyfile(screenshots / "75-webhooks.png", DOCS / "webhooks.png")

    # Disable, then enable again.
    admin.click(f"{CARD} [data-testid=webhook-toggle]")
    admin.wait(lambda d: admin.text(f"{CARD} [data-testid=webhook-state]").endswith("Disabled"), message="disabled")
    assert "is disabled" in admin.text("[data-testid=outcome]")
    assert admin.text(f"{CARD} [data-testid=webhook-toggle]") == "Enable"
    assert _focused(admin) == "webhook-toggle", "focus stays on the button"
    admin.click(f"{CARD} [data-testid=webhook-toggle]")
    admin.wait(lambda d: admin.text(f"{CARD} [data-testid=webhook-state]").endswith("Enabled"), message="enabled")
    admin.find("[data-testid=deliveries]")  # the open log stays open

    # Redeliver from the first event's position: the receiver gets it again.
    before = len(receiver.snapshot())
    admin.find("[data-testid=redeliver-from]").send_keys(str(created["position"]))
    admin.click("[data-testid=redeliver]")
    admin.wait(
        lambda d: "queued again from position" in admin.text("[data-testid=redeliver-outcome]"), message="queued"
    )
    wait_for(lambda: len(receiver.snapshot()) > before, "the redelivery")
    assert "Created" in _types(receiver, secret)[before:]

    # A partner that is down: its delivery fails after the retry and the endpoint is disabled, with the reason.
    down = Api(stack, admin_name, "admin").call(
        "POST", "/api/webhooks/endpoints", {"url": f"http://127.1:{free_port()}/down", "event_types": ["Created"]}
    )["endpoint"]["id"]
    customer.call("POST", "/api/support-ticket", {"subject": "Printer offline"})
    card = f"section.endpoint[data-endpoint='{down}']"

    def disabled(_: WebDriver) -> bool:
        admin.click("[data-testid=endpoints-refresh]")
        return admin.text(f"{card} [data-testid=webhook-state]").endswith("Disabled")

    admin.wait(disabled, 30, "the failing endpoint was never disabled")
    assert "failed after every retry" in admin.text(f"{card} [data-testid=disabled-reason]")
    assert admin.text(f"{card} [data-testid=failure-streak]") == "1"
    admin.click(f"{card} [data-testid=webhook-log]")
    admin.wait(lambda d: admin.attr(f"{card} [data-testid=deliveries] tbody tr", "data-status") == "failed")
    assert admin.text(f"{card} [data-testid=deliveries] [data-testid=delivery-attempts]") == "2"
    admin.click(f"{card} [data-testid=webhook-delete]")
    admin.click("[data-testid=webhook-delete-confirm]")
    admin.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, card), message="deleted")

    # Edit, then delete (confirmed).
    admin.click(f"{CARD} [data-testid=webhook-edit]")
    field = admin.find("dialog[open] input[name=description]")
    field.clear()
    field.send_keys("CRM, production")
    admin.click("dialog[open] [data-testid=webhook-submit]")
    admin.wait(lambda d: "CRM, production" in admin.text(CARD), message="edited")
    admin.click(f"{CARD} [data-testid=webhook-delete]")
    assert "cannot be undone" in admin.find("dialog[open]").text
    admin.click("[data-testid=webhook-delete-confirm]")
    admin.find("[data-testid=endpoints-none]")
    assert Api(stack, admin_name, "admin").call("GET", "/api/webhooks/endpoints")["endpoints"] == []
    assert admin.console_errors(allowed=("422",)) == []
    assert json.dumps(receiver.verified(secret))  # every delivery verified with the independent implementation


def test_the_policy_and_erasure_pages_through_the_gateway(
    browser: Callable[..., WebDriver], stack: str, screenshots: Path
) -> None:
    """The other admin pages in the distributed mode: the policy saved through the command API and read back
    from the query API; a customer exported and erased, their ticket then read as erased."""
    tag = random_suffix()
    admin = HelpDesk(browser(), stack, screenshots, "admin")
    admin.sign_in(f"root-{tag}", "admin")
    admin.go("/sla")
    field = admin.find("#sla-policy [name='urgent.first_response_minutes']")
    field.send_keys("30")
    admin.click("[data-testid=sla-save]")
    admin.wait(lambda d: "Saved: version 1" in admin.text("[data-testid=outcome]"), message="saved")
    admin.d.refresh()
    admin.wait(lambda d: admin.attr("#sla-policy [name='urgent.first_response_minutes']", "value") == "30")
    assert "Version 1" in admin.text("[data-testid=sla-version]")

    person = f"ada-{tag}"
    ticket = Api(stack, person, "customer").call("POST", "/api/support-ticket", {"subject": f"Payslip {tag}"})
    admin.go("/privacy")
    admin.find("[data-testid=privacy-subject]").send_keys(person)
    admin.click("[data-testid=export]")
    admin.wait(lambda d: "1 ticket and 1 event" in admin.text("[data-testid=export-summary]"), message="exported")
    admin.click("[data-testid=erase]")
    admin.find("[data-testid=erase-reason]").send_keys("Request by e-mail")
    admin.find("[data-testid=erase-confirmation]").send_keys(person)
    admin.click("[data-testid=erase-confirm]")
    admin.wait(lambda d: "is erased (1 ticket)" in admin.text("[data-testid=erase-result]"), message="erased")
    admin.open_ticket(str(ticket["aggregate_id"]))
    admin.find(".ticket-head h1 .erased")
    assert f"Payslip {tag}" not in admin.find("main").text
    assert admin.console_errors() == []
