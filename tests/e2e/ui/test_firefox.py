"""The web UI in headless Firefox (Debian's ``firefox-esr``), driven through Firefox's built-in Marionette
protocol (``marionette.py`` here, no geckodriver): a customer opens a ticket and finds it in "My tickets" (and by
searching them), an agent in a second Firefox profile finds it in the queue and assigns it, the customer reads the
new status in its own words and the two write to each other in the conversation, and neither page reports a
JavaScript error."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .marionette import Firefox, MarionetteError

FIREFOX = os.environ.get("FIREFOX_PATH", "firefox-esr")
WAIT = 15  # seconds for anything that needs a server round trip

# Read in Firefox's privileged context: the errors its console holds for pages (uncaught exceptions and unhandled
# rejections, syntax errors, failed module loads) since the browser started, so errors while the page loads count.
PAGE_ERRORS = """
const [base] = arguments;
const quiet = Ci.nsIScriptError.warningFlag | Ci.nsIScriptError.infoFlag;
return (Services.console.getMessageArray() || [])
  .filter((m) => m instanceof Ci.nsIScriptError && !(m.flags & quiet) && !m.isFromChromeContext)
  .filter((m) => (m.sourceName || '').startsWith(base) || m.innerWindowID)
  .map((m) => `${m.category}: ${m.errorMessage} (${m.sourceName}:${m.lineNumber})`);
"""
# Installed in the page after each navigation: its console.error calls, which Firefox keeps in the content process.
CONSOLE_HOOK = """
if (!window.__consoleErrors) {
  window.__consoleErrors = [];
  const original = console.error.bind(console);
  console.error = (...args) => {
    window.__consoleErrors.push('console.error: ' + args.map(String).join(' '));
    original(...args);
  };
}
"""


class FirefoxDesk:
    """What a person does in the UI, in one Firefox."""

    def __init__(self, browser: Firefox, base: str, shots: Path, name: str) -> None:
        self.b, self.base, self.shots, self.name = browser, base, shots, name

    def wait(self, condition: Callable[[], Any], message: str, timeout: float = WAIT) -> Any:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except MarionetteError as exc:  # not there yet, or replaced by a redraw meanwhile
                if exc.kind not in ("no such element", "stale element reference", "element not interactable"):
                    raise
                last = exc
            time.sleep(0.05)
        pytest.fail(f"{self.name}: {message} (after {timeout} s; last: {last})", pytrace=False)

    def find(self, css: str) -> str:
        return str(self.wait(lambda: self.b.find(css), f"no {css}"))

    def click(self, css: str) -> None:
        def clicked() -> bool:
            self.b.click(self.b.find(css))
            return True

        self.wait(clicked, f"cannot click {css}")

    def type(self, css: str, text: str) -> None:
        element = self.find(css)
        self.b.clear(element)
        self.b.send_keys(element, text)

    def text(self, css: str) -> str:
        return str(self.wait(lambda: (self.b.text(self.b.find(css)),), f"no text in {css}")[0])

    def go(self, route: str) -> None:
        self.b.navigate(f"{self.base}/#{route}")
        self.b.execute(CONSOLE_HOOK)

    def place(self) -> str:
        return str(self.b.execute("return document.querySelector('.ticket-head .badge.place')?.dataset.place || ''"))

    def wait_place(self, place: str) -> None:
        self.wait(lambda: self.place() == place, f"the ticket never reached {place} (it is {self.place()!r})")

    def buttons(self) -> set[str]:
        script = (
            "return [...document.querySelectorAll('.action-buttons button[data-transition]')]"
            ".map(b => b.dataset.transition)"
        )
        return set(self.b.execute(script))

    def shot(self, name: str) -> None:
        self.b.execute("const t = document.getElementById('toast'); if (t) t.className = 'toast';")
        time.sleep(0.3)  # let transitions settle
        self.b.screenshot(self.shots / f"firefox-{name}.png")

    def sign_in(self, user: str, role: str) -> None:
        self.go("/signin")
        self.find("#debug-signin")
        self.find(f"#signin-role option[value='{role}']")
        self.type("#signin-user", user)
        self.click(f"#signin-role option[value='{role}']")
        assert self.b.execute("return document.getElementById('signin-role').value") == role
        self.click("#debug-signin button[type=submit]")
        self.wait(lambda: self.text("[data-testid=user-name]") == user, f"{user} never signed in")

    def console_errors(self) -> list[str]:
        logged = self.b.execute("return window.__consoleErrors || []")
        return [str(e) for e in [*self.b.chrome_execute(PAGE_ERRORS, self.base), *logged]]


@pytest.fixture
def firefox(ui_base_url: str, screenshots: Path) -> Iterator[Callable[[str], FirefoxDesk]]:
    """A factory of headless Firefox windows, each its own process and fresh profile; all quit after the test."""
    if not shutil.which(FIREFOX):
        # No browser, no browser test: tools/system-deps.sh installs firefox-esr wherever it can.
        pytest.skip(f"{FIREFOX} not found: apt-get install -y --no-install-recommends firefox-esr")
    opened: list[Firefox] = []

    def open_desk(name: str) -> FirefoxDesk:
        browser = Firefox(str(shutil.which(FIREFOX)))
        opened.append(browser)
        return FirefoxDesk(browser, ui_base_url, screenshots, name)

    yield open_desk
    for browser in opened:
        with contextlib.suppress(Exception):
            browser.quit()


def test_customer_opens_and_agent_assigns_in_firefox(firefox: Callable[[str], FirefoxDesk]) -> None:
    tag = uuid.uuid4().hex[:8]
    subject = f"VPN drops every hour {tag}"
    customer_name, agent_name = f"fiona-{tag}", f"felix-{tag}"

    # The error collector works: a deliberate uncaught error and a console.error show up, and nothing else.
    customer = firefox("customer")
    customer.go("/")
    customer.find("#debug-signin")
    probe = f"firefox-probe-{tag}"
    customer.b.execute(f"console.error('{probe}'); setTimeout(() => {{ throw new Error('{probe}'); }}, 0)")
    customer.wait(lambda: sum(probe in e for e in customer.console_errors()) == 2, "the error probes were never seen")
    baseline = customer.console_errors()
    assert all(probe in e for e in baseline), f"JavaScript errors while loading the UI: {baseline}"
    customer.shot("01-sign-in")

    customer.sign_in(customer_name, "customer")
    customer.find(".portal-list .state-empty")
    customer.click("a[href='#/new']")
    customer.find("form#new-ticket")
    assert not customer.b.find_all("form#new-ticket [name=requester]"), "customers file only for themselves"
    customer.type("form#new-ticket [name=subject]", subject)
    customer.type("form#new-ticket [name=description]", "The VPN client disconnects on the hour since Friday.")
    customer.click("form#new-ticket [name=priority] option[value=high]")
    customer.shot("02-customer-open-ticket")
    customer.click("form#new-ticket button[type=submit]")
    customer.wait(lambda: "/ticket/" in customer.b.current_url(), "no ticket page after opening")
    ticket_id = customer.b.current_url().rsplit("/ticket/", 1)[1]
    customer.wait_place("new")
    assert customer.buttons() == set(), "a customer may not act on a new ticket"
    assert subject in customer.text(".ticket-head")

    customer.go("/tickets")
    card = f".ticket-card[data-ticket-id='{ticket_id}']"
    customer.find(card)
    assert subject in customer.text(card)
    customer.shot("03-customer-my-tickets")

    # The agent, in a second Firefox with its own profile, finds the ticket in the queue and assigns it.
    agent = firefox("agent")
    agent.sign_in(agent_name, "agent")
    assert "agent" in agent.text("[data-testid=user-roles]").lower()
    agent.go("/queue")
    agent.find(".results[aria-busy=false]")
    row = f"tr[data-ticket-id='{ticket_id}']"
    agent.find(row)
    assert subject in agent.text(row)
    agent.shot("04-agent-queue")
    agent.click(f"{row} a")
    agent.wait(lambda: agent.b.current_url().endswith(f"/ticket/{ticket_id}"), "no ticket page from the queue")
    agent.wait_place("new")
    assert agent.buttons() == {"assign"}
    before = agent.text(".details [data-field=version]")
    agent.click(".action-buttons button[data-transition=assign]")
    agent.type("form[data-transition=assign] [name=assignee]", agent_name)
    agent.click("form[data-transition=assign] button[type=submit]")
    agent.find(".action-outcome .success")
    agent.wait_place("assigned")
    agent.wait(lambda: agent.text(".details [data-field=version]") != before, "the version never moved")
    assert agent_name in agent.text(".details [data-field=assignee]")
    assert agent.buttons() == {"start_work"}
    agent.shot("05-agent-ticket-assigned")

    # The customer sees the new status in its own words, and writes in the conversation without any state change.
    customer.go(f"/ticket/{ticket_id}")
    customer.wait_place("assigned")
    assert customer.text(".ticket-head .badge.place") == "Assigned"
    status = customer.text("[data-testid=customer-status]")
    assert status.startswith("Assigned") and "An agent will start on it soon" in status
    assert customer.text("[data-testid=reply-count]") == "No replies yet"
    customer.type(".reply-box textarea", "It also drops when I am on the office Wi-Fi.")
    customer.click(".reply-box button[type=submit]")
    customer.wait(lambda: "office Wi-Fi" in customer.text(".conversation .messages"), "the reply never showed")
    customer.wait(lambda: customer.text("[data-testid=reply-count]") == "1 reply", "the reply was not counted")
    assert customer.place() == "assigned"

    agent.go(f"/ticket/{ticket_id}")
    agent.wait(lambda: "office Wi-Fi" in agent.text(".conversation .messages"), "the agent never read the reply")
    agent.type(".reply-box textarea", "Thanks, we are checking the Wi-Fi gateway.")
    agent.click(".reply-box button[type=submit]")
    customer.wait(lambda: "Wi-Fi gateway" in customer.text(".conversation .messages"), "the answer never came live")
    page = str(customer.b.execute("return document.body.innerText"))
    for word in ("Place", "Version", "Assigned (agent)", "Waiting for:", "fired"):
        assert word not in page, f"the customer reads {word!r}"
    assert not customer.b.find_all(".net"), "the net is for staff"
    customer.shot("06-customer-conversation")

    # "My tickets" finds it by words of the conversation.
    customer.go("/tickets?q=gateway")
    customer.find(card)
    assert customer.b.execute("return document.querySelector('.portal-search input').value") == "gateway"
    customer.type(".portal-search input", f"nothing-like-this-{tag}")
    customer.wait(lambda: not customer.b.find_all(card), "the search never narrowed the list")
    assert "No ticket of yours matches" in customer.text(".portal-list")

    assert [e for e in customer.console_errors() if probe not in e] == []
    assert agent.console_errors() == []
