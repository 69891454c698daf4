"""The System page in a real Chromium: an administrator finds a halted projection with its failing event and
resolves it from the console, by skipping the event with a reason or by retrying once the cause is fixed; the
status returns to running and the skip is listed with who and why. Customers and agents see no System link and
are told the page is not available (the API answers them 403).

The halting tests run a help desk of their own (the embedded server on a SQLite file in a temporary folder): they
write to its file what the API would never accept, and no other browser test may see its projection halted.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.ui.arrange import Api, debug_token
from tests.e2e.ui.conftest import _embedded_server
from tests.e2e.ui.test_accessibility import AXE, Audit
from tests.e2e.ui.test_ui import WAIT, HelpDesk, desk  # noqa: F401 (the fixture is used by name)
from tests.support.ids import random_suffix
from ticket_eventstore.sqlite import SqliteDatabase, SqliteEventStore
from ticket_workflow import Event, EventMetadata

HALT_SECONDS = 30  # the projector tries a failing event three times before it halts; a liveness bound only
PROJECTION = "[data-projection=tickets]"


@dataclass
class OwnDesk:
    """A help desk of the test's own, and its SQLite file."""

    base: str
    db: Path

    def append_poison(self, ticket_id: str, version: int) -> int:
        """Store a "Closeed" event the net would never decide (a new ticket cannot be closed); its position."""
        event = Event(
            id=str(uuid.uuid4()),
            stream_id=ticket_id,
            type="Closeed",
            version=version,
            timestamp=datetime.now(UTC),
            data={"aggregate_id": ticket_id},
            metadata=EventMetadata(actor="legacy-import", roles=("agent",), correlation_id=str(uuid.uuid4())),
        )

        async def append() -> int:
            db = await SqliteDatabase.open(str(self.db))
            try:
                store = await SqliteEventStore.create(db)
                [stored] = await store.append(ticket_id, version - 1, [event])
                return int(stored.position or 0)
            finally:
                await db.close()

        return asyncio.run(append())

    def set_read_model_version(self, ticket_id: str, version: int) -> None:
        """Write a ticket's version in the read model by hand (what a faulty repair script would do)."""
        with sqlite3.connect(self.db, timeout=10) as conn:
            conn.execute("UPDATE rm_tickets SET version = ? WHERE id = ?", (version, ticket_id))

    def system(self, admin: Api) -> dict[str, Any]:
        projection: dict[str, Any] = admin.call("GET", "/api/admin/system")["projections"][0]
        return projection

    def wait_status(self, admin: Api, status: str) -> dict[str, Any]:
        deadline = time.monotonic() + HALT_SECONDS
        while True:
            projection = self.system(admin)
            if projection["status"] == status:
                return projection
            if time.monotonic() > deadline:
                pytest.fail(f"the projection never became {status}: {json.dumps(projection)[:600]}")
            time.sleep(0.1)


@pytest.fixture
def own(tmp_path: Path) -> Iterator[OwnDesk]:
    with _embedded_server(tmp_path) as base:
        yield OwnDesk(base, tmp_path / "helpdesk.db")


def _window(browser: Callable[..., WebDriver], own: OwnDesk, screenshots: Path, name: str) -> HelpDesk:
    return HelpDesk(browser(), own.base, screenshots, name)


def _status(window: HelpDesk) -> str:
    return window.attr(PROJECTION, "data-status")


def _wait_status(window: HelpDesk, status: str) -> None:
    window.wait(lambda d: _status(window) == status, HALT_SECONDS, f"the page never showed {status}")


def _open_system(window: HelpDesk) -> None:
    """Through the navigation, as an administrator finds it."""
    assert window.text("#nav a[href='#/system']") == "System"
    window.click("#nav a[href='#/system']")
    window.find(f"{PROJECTION} [data-testid=projection-status]")
    assert window.attr("#nav a[href='#/system']", "aria-current") == "page"


def _focused(window: HelpDesk) -> str:
    return str(window.d.execute_script("return document.activeElement.dataset.testid || ''"))


def _axe(window: HelpDesk, page: str, ready_css: str) -> list[dict[str, Any]]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make ui-tools` (npm ci in tools/axe)", pytrace=False)
    audit = Audit()
    audit.check(window, page, ready_css)
    return audit.found.get(page, [])


def test_an_admin_skips_a_poison_event_from_the_console(
    browser: Callable[..., WebDriver], own: OwnDesk, screenshots: Path
) -> None:
    tag = random_suffix()
    admin_name = f"root-{tag}"
    agent = Api(own.base, f"bob-{tag}", "agent")
    admin_api = Api(own.base, admin_name, "admin")
    ticket = agent.ticket("Printer jams on every page", requester=f"ada-{tag}")
    position = own.append_poison(ticket, 2)
    later = agent.ticket("Monitor flickers", requester=f"ada-{tag}")  # its append meets the poison and halts
    own.wait_status(admin_api, "halted")

    admin = _window(browser, own, screenshots, "admin")
    admin.sign_in(admin_name, "admin")
    _open_system(admin)
    _wait_status(admin, "halted")
    assert admin.text(f"{PROJECTION} [data-testid=projection-status]").endswith("Halted")
    assert admin.text("[data-testid=halt-position]") == str(position)
    assert admin.text("[data-testid=halt-type]") == "Closeed"
    assert ticket in admin.attr("[data-testid=halt-ticket] a", "href")
    assert admin.text("[data-testid=halt-reason]")
    assert "behind" in admin.text("[data-testid=projection-behind]")
    admin.shot("60-system-halted")
    admin.click("[data-testid=halt-event] summary")
    event_json = json.loads(admin.text("[data-testid=halt-event] pre"))
    assert (event_json["type"], event_json["position"], event_json["stream_id"]) == ("Closeed", position, ticket)
    assert admin.all("[data-testid=skipped-none]")
    assert _axe(admin, "admin: system, halted", PROJECTION) == []

    # Skipping asks for a reason; Escape closes the dialog and gives focus back to its button.
    admin.click("[data-testid=skip]")
    dialog = admin.find("dialog[open]")
    assert "will be missing from the read model" in dialog.text
    assert _focused(admin) == "skip-reason"
    admin.click("[data-testid=skip-confirm]")
    assert "Say why" in admin.text("dialog[open] .form-error")
    admin.find("[data-testid=skip-reason]").send_keys("ab")
    assert admin.text("dialog[open] [data-testid=counter]") == "2 / 500 characters"
    admin.click("[data-testid=skip-confirm]")
    assert "too short" in admin.text("dialog[open] .form-error")
    assert _axe(admin, "admin: skip dialog", "dialog[open]") == []
    admin.find("[data-testid=skip-reason]").send_keys(Keys.ESCAPE)
    admin.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog"), message="Escape closes the dialog")
    assert _focused(admin) == "skip"
    assert own.system(admin_api)["status"] == "halted", "nothing was sent"

    reason = "Closed by hand in the old system; the ticket was never closed here"
    admin.click("[data-testid=skip]")
    admin.find("[data-testid=skip-reason]").send_keys(reason)
    admin.click("[data-testid=skip-confirm]")
    _wait_status(admin, "running")
    assert "was skipped" in admin.text(f"{PROJECTION} [data-testid=outcome-success]")
    assert not admin.all("[data-testid=halt]")
    row = f"[data-testid=skipped] tr[data-position='{position}']"
    assert "Closeed" in admin.text(row)
    assert admin.text(f"{row} [data-testid=skip-actor]") == admin_name
    assert admin.text(f"{row} [data-testid=skip-reason-text]") == reason
    assert admin.text("[data-testid=projection-behind]") == "Up to date"
    admin.shot("61-system-skipped")

    # A rebuild from the console: confirmed, then followed to its end; the skip stays skipped.
    admin.click("[data-testid=rebuild]")
    assert "built again from every event" in admin.find("dialog[open]").text
    admin.click("[data-testid=rebuild-confirm]")
    admin.wait(lambda d: "Rebuild started" in admin.text(f"{PROJECTION} [data-testid=outcome]"), message="started")
    admin.wait(lambda d: "Last rebuilt" in admin.text("[data-testid=rebuild-outcome]"), HALT_SECONDS, "rebuild ended")
    assert f"by {admin_name}" in admin.text("[data-testid=rebuild-outcome]")
    _wait_status(admin, "running")
    assert admin.all(f"[data-testid=skipped] tr[data-position='{position}']"), "the skip survives the rebuild"
    assert agent.call("GET", f"/api/support-ticket/{later}")["aggregate_id"] == later
    # The projection went on past the skipped event: the ticket stored after it is read.
    assert agent.call("GET", f"/api/support-ticket/{later}")["aggregate_id"] == later
    assert admin.console_errors() == []


def test_an_admin_retries_once_the_cause_is_fixed(
    browser: Callable[..., WebDriver], own: OwnDesk, screenshots: Path
) -> None:
    tag = random_suffix()
    admin_name = f"root-{tag}"
    agent = Api(own.base, f"bob-{tag}", "agent")
    admin_api = Api(own.base, admin_name, "admin")
    ticket = agent.ticket("VPN drops every hour", requester=f"ada-{tag}")
    own.set_read_model_version(ticket, 40)  # the read model's row is damaged: the next event cannot apply
    agent.fire("assign", ticket)
    halted = own.wait_status(admin_api, "halted")

    admin = _window(browser, own, screenshots, "admin")
    admin.sign_in(admin_name, "admin")
    _open_system(admin)
    _wait_status(admin, "halted")
    # The service-level timer runs in the embedded app: no alert yet (no policy), none published (no stream).
    assert admin.text("[data-testid=sla-timer] h2") == "Service-level timer"
    assert admin.text("[data-testid=timer-leader]").endswith("Running: alerts are raised in-process")
    assert admin.text("[data-testid=timer-last-raised]") == "None yet"
    assert admin.text("[data-testid=halt-position]") == str(halted["halt"]["position"])
    assert "40" in admin.text("[data-testid=halt-reason]")

    # A retry before the fix halts again on the same event: nothing is lost, and the page says why.
    admin.click("[data-testid=retry]")
    assert "failed again" in admin.text(f"{PROJECTION} [data-testid=outcome-error]")
    _wait_status(admin, "halted")
    assert own.system(admin_api)["halt"]["position"] == halted["halt"]["position"]

    own.set_read_model_version(ticket, 1)  # the repair
    admin.click("[data-testid=retry]")
    _wait_status(admin, "running")
    assert "Retry started" in admin.text(f"{PROJECTION} [data-testid=outcome-success]")
    assert not admin.all("[data-testid=retry]")
    assert admin.all("[data-testid=skipped-none]"), "a retry skips nothing"
    assert agent.call("GET", f"/api/support-ticket/{ticket}")["place"] == "assigned"
    assert admin.console_errors() == []


def _forbidden(base: str, token: str) -> int:
    request = urllib.request.Request(f"{base}/api/admin/system", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_customers_and_agents_have_no_system_page(desk: Callable[..., HelpDesk]) -> None:  # noqa: F811
    for role in ("customer", "agent", "supervisor"):
        person = desk(role)
        name = f"{role}-{random_suffix()}"
        person.sign_in(name, role)
        own_page = "#/tickets" if role == "customer" else "#/stats"  # the navigation once the roles are known
        person.find(f"#nav a[href='{own_page}']")
        links = person.d.execute_script("return [...document.querySelectorAll('#nav a')].map((a) => a.textContent)")
        assert "System" not in links, role
        person.go("/system")
        assert "not available" in person.text("[data-testid=not-available]"), role
        assert person.text("main h1") == "Not available"
        assert _forbidden(person.base, debug_token(person.base, name, role)) == 403, role
