"""Every page of the web UI, as each role sees it, in a real Chromium: axe-core finds no serious or critical
violation anywhere (WCAG 2.x A and AA rules and axe's best practices), and no page a customer reaches holds any
staff-only text (internal notes, transition notes, the escalation reason), while staff read all of it.

axe-core is pinned in ``tools/axe/package-lock.json`` and installed by ``make ui-tools`` (part of ``make test``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.ui.arrange import Api, debug_token, post, set_sla_policy
from tests.e2e.ui.test_ui import HelpDesk, desk  # noqa: F401 (the fixture is used by name)
from tests.support.ids import random_suffix

AXE = Path(__file__).resolve().parents[3] / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
SUBJECT = "Printer prints only blank pages"

RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then((result) => done(result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' :: ' + n.failureSummary),
  }))))
  .catch((error) => done([{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}]));
"""


class Audit:
    """Runs axe on the page a desk shows once it has settled, and keeps what it found per page."""

    def __init__(self) -> None:
        self.source = AXE.read_text()
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.pages = 0

    def check(self, window: HelpDesk, page: str, ready_css: str) -> None:
        self.settle(window, page, ready_css)
        window.d.execute_script(self.source)
        violations = window.d.execute_async_script(RUN_AXE)
        self.pages += 1
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        if blocking:
            self.found[page] = blocking

    @staticmethod
    def settle(window: HelpDesk, page: str, ready_css: str) -> str:
        """The page's markup once it has loaded (the DOM, with every attribute and hidden element)."""
        window.find(ready_css)
        window.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, ".state-loading"), message=f"{page} loaded")
        return str(window.d.execute_script("return document.documentElement.outerHTML"))


def _staff_only_in(markup: str) -> list[str]:
    return [field for field, marker in STAFF_ONLY.items() if marker in markup]


# Written into every staff-only field of the seeded ticket; none may appear on a customer's page.
STAFF_ONLY = {
    "assign note": "zq-assign-note",
    "internal note": "zq-internal-note",
    "escalation reason": "zq-escalation-reason",
    "escalate note": "zq-escalate-note",
}


@pytest.fixture
def seeded(ui_base_url: str) -> dict[str, str]:
    """A customer's ticket that staff assigned, worked on, answered, noted and escalated, with a marker in every
    staff-only field."""
    suffix = random_suffix()
    customer, agent = f"ada-{suffix}", f"bob-{suffix}"
    customer_token = debug_token(ui_base_url, customer, "customer")
    agent_token = debug_token(ui_base_url, agent, "agent")
    created = post(
        ui_base_url,
        "/api/support-ticket",
        {"subject": SUBJECT, "description": "Since this morning.", "priority": "high"},
        customer_token,
    )
    ticket = created["aggregate_id"]
    marker = STAFF_ONLY
    post(ui_base_url, "/api/assign", {"aggregate_id": ticket, "data": {"note": marker["assign note"]}}, agent_token)
    post(ui_base_url, "/api/start_work", {"aggregate_id": ticket}, agent_token)
    post(ui_base_url, f"/api/support-ticket/{ticket}/replies", {"body": "Which model is it?"}, agent_token)
    post(ui_base_url, f"/api/support-ticket/{ticket}/notes", {"body": marker["internal note"]}, agent_token)
    escalation = {"reason": marker["escalation reason"], "note": marker["escalate note"]}
    post(ui_base_url, "/api/escalate", {"aggregate_id": ticket, "data": escalation}, agent_token)
    return {"ticket": ticket, "customer": customer, "agent": agent}


def test_no_serious_or_critical_violation_on_any_page(
    desk: Callable[..., HelpDesk],  # noqa: F811
    seeded: dict[str, str],
    ui_base_url: str,
) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make ui-tools` (npm ci in tools/axe)", pytrace=False)
    audit = Audit()
    ticket = seeded["ticket"]

    anonymous = desk("anonymous")
    anonymous.go("/signin")
    audit.check(anonymous, "sign in", "#signin-user")

    customer = desk("customer")
    customer.sign_in(seeded["customer"], "customer")
    customer.go("/tickets")
    audit.check(customer, "customer: my tickets", "main h1")
    customer.go("/new")
    audit.check(customer, "customer: open a ticket", "main form")
    customer.open_ticket(ticket)
    audit.check(customer, "customer: ticket", ".ticket-head")
    customer_pages = {
        "ticket": Audit.settle(customer, "customer: ticket", ".ticket-head"),
    }
    customer.go("/tickets")
    customer_pages["my tickets"] = Audit.settle(customer, "customer: my tickets", "main h1")
    # Searching for a note's words finds nothing (the page echoes the words typed, so only the result counts).
    customer.go(f"/tickets?q={STAFF_ONLY['internal note']}")
    searched = Audit.settle(customer, "customer: search", "main h1")
    assert SUBJECT not in searched
    customer.go(f"/tickets?q={SUBJECT.split()[0]}")
    assert SUBJECT in Audit.settle(customer, "customer: search", "main h1")
    customer.go("/workflow")
    audit.check(customer, "customer: workflow", "main h1")
    customer.go("/ticket/does-not-exist")
    audit.check(customer, "customer: missing ticket", "main h1")

    agent = desk("agent")
    agent.sign_in(seeded["agent"], "agent")
    agent.go("/queue")
    audit.check(agent, "agent: queue", "main h1")
    agent.go("/queue?view=board")
    audit.check(agent, "agent: board", "main h1")
    agent.open_ticket(ticket)
    audit.check(agent, "agent: ticket", ".ticket-head")
    staff_page = Audit.settle(agent, "agent: ticket", ".ticket-head")
    agent.go("/stats")
    audit.check(agent, "agent: stats", "main h1")
    agent.go("/new")
    audit.check(agent, "agent: new ticket", "main form")
    agent.go("/queue")
    agent.find("main h1")
    agent.d.find_element(By.TAG_NAME, "body").send_keys("?")
    audit.check(agent, "agent: keyboard shortcuts", "[role=dialog]")
    agent.d.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)

    admin = desk("admin")
    admin.sign_in(f"root-{random_suffix()}", "admin")
    admin.go("/system")
    audit.check(admin, "admin: system", "[data-projection] [data-testid=projection-status]")
    admin.go("/sla")
    audit.check(admin, "admin: service levels", "#sla-policy")
    admin.go("/webhooks")
    audit.check(admin, "admin: webhooks", "[data-testid=endpoints-none]")
    admin.go("/privacy")
    audit.check(admin, "admin: privacy", "#privacy-form")
    # A ticket with deadlines (a day to answer: no other test's ticket turns breached).
    policy = {"high": {"first_response_minutes": 1440, "resolution_minutes": 2880, "warning_percent": 80}}
    set_sla_policy(Api(ui_base_url, f"root-{random_suffix()}", "admin"), policy)
    timed = post(
        ui_base_url,
        "/api/support-ticket",
        {"subject": "Badge reader", "priority": "high"},
        debug_token(ui_base_url, seeded["customer"], "customer"),
    )
    admin.open_ticket(timed["aggregate_id"])
    audit.check(admin, "admin: ticket with deadlines", "[data-testid=sla-panel] [data-clock]")

    phone = desk("phone", 390, 844)
    phone.sign_in(f"pat-{random_suffix()}", "supervisor")
    phone.go("/queue?place=escalated")
    audit.check(phone, "supervisor on a phone: escalated queue", "main h1")
    phone.open_ticket(ticket)
    audit.check(phone, "supervisor on a phone: ticket", ".ticket-head")

    assert audit.pages == 19
    # Staff read every marker, so the markers were written and the pages do show such fields to those allowed.
    assert sorted(field for field, marker in STAFF_ONLY.items() if marker in staff_page) == sorted(STAFF_ONLY)
    leaks = {page: found for page, markup in customer_pages.items() if (found := _staff_only_in(markup))}
    assert not leaks, f"staff-only text on a customer's page: {leaks}"
    assert not audit.found, "axe found serious or critical violations:\n" + json.dumps(audit.found, indent=2)
