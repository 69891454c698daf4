"""Personal data in a real Chromium: an administrator exports everything held about a customer (a JSON file and a
summary), then erases them through a dialog that says what happens and asks for a reason and the user id typed
again; afterwards the customer's ticket shows "Erased" wherever their texts were (subject, description,
conversation, timeline), never the raw marker. Customers and agents have no such page (and the API answers 403).
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.ui.arrange import Api, debug_token
from tests.e2e.ui.test_system_ui import _axe, _focused
from tests.e2e.ui.test_ui import HelpDesk, desk  # noqa: F401 (the fixture is used by name)
from tests.support.ids import random_suffix

DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
READ_BLOB = """
const done = arguments[arguments.length - 1];
fetch(arguments[0]).then((r) => r.text()).then(done, (e) => done('failed: ' + e));
"""


def _status(base: str, path: str, token: str) -> int:
    request = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_an_admin_exports_then_erases_a_customer(desk: Callable[..., HelpDesk], ui_base_url: str) -> None:  # noqa: F811
    tag = random_suffix()
    person = f"ada-{tag}"
    subject = f"Salary slip of Ada Lovelace {tag}"
    customer_api = Api(ui_base_url, person, "customer")
    agent_api = Api(ui_base_url, f"bob-{tag}", "agent")
    created = customer_api.call(
        "POST", "/api/support-ticket", {"subject": subject, "description": f"My IBAN is DE89 {tag}"}
    )
    ticket = str(created["aggregate_id"])
    agent_api.call("POST", f"/api/support-ticket/{ticket}/replies", {"body": "Which month?"})
    customer_api.call("POST", f"/api/support-ticket/{ticket}/replies", {"body": f"October, Ada {tag}"})

    admin = desk("admin")
    admin_name = f"root-{tag}"
    admin.sign_in(admin_name, "admin")
    admin.click("#nav a[href='#/privacy']")
    admin.find("[data-testid=privacy-subject]")
    assert admin.attr("#nav a[href='#/privacy']", "aria-current") == "page"

    # Export: a summary and the file's JSON, with the texts in plain words.
    admin.click("[data-testid=export]")
    assert "Give the person" in admin.text("#privacy-form .form-error")
    admin.find("[data-testid=privacy-subject]").send_keys(person)
    admin.click("[data-testid=export]")
    summary = admin.text("[data-testid=export-text]")
    assert summary.startswith("1 ticket and ") and summary.endswith(f"held about {person}."), summary
    link = admin.find("[data-testid=export-file]")
    assert str(link.get_attribute("download")).startswith(f"personal-data-{person}-")
    exported = json.loads(admin.d.execute_async_script(READ_BLOB, link.get_attribute("href")))
    assert exported["subject"] == person and exported["erased"] is False
    assert subject in json.dumps(exported)
    assert _axe(admin, "admin: privacy, exported", "[data-testid=export-text]") == []

    # Erase: the dialog says what happens, and needs a reason and the user id typed again.
    admin.click("[data-testid=erase]")
    dialog = admin.find("dialog[open]")
    assert "cannot be undone" in dialog.text and "“erased”" in dialog.text and "your name, the time" in dialog.text
    assert _focused(admin) == "erase-reason"
    admin.click("[data-testid=erase-confirm]")
    assert "Say why" in admin.text("dialog[open] .form-error")
    admin.find("[data-testid=erase-reason]").send_keys("ab")
    admin.click("[data-testid=erase-confirm]")
    assert "too short" in admin.text("dialog[open] .form-error")
    admin.find("[data-testid=erase-reason]").send_keys("c: request of 28 Nov by e-mail")
    admin.find("[data-testid=erase-confirmation]").send_keys(person.upper())
    admin.click("[data-testid=erase-confirm]")
    assert f"“{person}” exactly" in admin.text("dialog[open] .form-error")
    assert _axe(admin, "admin: erase dialog", "dialog[open]") == []
    admin.find("[data-testid=erase-confirmation]").send_keys(Keys.ESCAPE)
    admin.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog"), message="Escape closes the dialog")
    assert _focused(admin) == "erase", "focus returns to the button that opened it"
    assert subject in json.dumps(agent_api.call("GET", f"/api/support-ticket/{ticket}")), "nothing was erased"

    admin.click("[data-testid=erase]")
    admin.find("[data-testid=erase-reason]").send_keys("Request of 28 Nov by e-mail")
    admin.find("[data-testid=erase-confirmation]").send_keys(person)
    admin.click("[data-testid=erase-confirm]")
    result = admin.text("[data-testid=erased]")
    assert f"The personal data of {person} is erased (1 ticket)" in result
    assert f"by {admin_name}" in result
    admin.shot("80-privacy-erased")
    shutil.copyfile(admin.shots / "80-privacy-erased.png", DOCS / "privacy.png")

    # The ticket now shows the placeholder wherever the customer's texts were, for staff and for the customer.
    for viewer, role in ((admin, "admin"), (desk("customer"), "customer")):
        if role == "customer":
            viewer.sign_in(person, "customer")
        viewer.open_ticket(ticket)
        viewer.find(".ticket-head h1 .erased")
        viewer.wait(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".messages .message-body .erased")) >= 2)
        page = viewer.find("main").text
        assert "[erased]" not in page, role
        assert subject not in page and "DE89" not in page, role
    admin.find(".events .event-data .erased")
    assert admin.console_errors() == []


def test_customers_and_agents_have_no_privacy_webhooks_or_sla_page(desk: Callable[..., HelpDesk]) -> None:  # noqa: F811
    for role in ("customer", "agent"):
        person = desk(role)
        name = f"{role}-{random_suffix()}"
        person.sign_in(name, role)
        person.find("#nav a")
        links = person.d.execute_script("return [...document.querySelectorAll('#nav a')].map((a) => a.textContent)")
        for page, label in (("/privacy", "Privacy"), ("/webhooks", "Webhooks"), ("/sla", "Service levels")):
            assert label not in links, (role, label)
            person.go(page)
            assert "not available" in person.text("[data-testid=not-available]"), (role, page)
            assert person.text("main h1") == "Not available"
        token = debug_token(person.base, name, role)
        assert _status(person.base, f"/api/privacy/subjects/{name}/export", token) == 403, role
        assert _status(person.base, "/api/webhooks/endpoints", token) == 403, role
