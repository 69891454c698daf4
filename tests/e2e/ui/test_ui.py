"""The web UI in a real headless Chromium: the whole life of a ticket, seen by a customer, an agent and a
supervisor, each offered only the buttons its role allows, with a second browser following along live."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.support.events import ROUND_TRIP

WAIT = 15  # seconds for anything that needs a server round trip
LIVE = 10  # seconds to wait for a live change to show at all (a liveness bound; the delay itself is only reported)
LAG_FILE = Path(__file__).resolve().parents[3] / "test-artifacts" / "live-update-ms.json"

# Installed in the watching browser: records Date.now() the first time an element matches the CSS selector (and
# contains the text, when given). Both browsers run on this machine, so their clocks agree to the millisecond.
WATCH = """
window.__seenAt = null;
const [css, text] = arguments;
const timer = setInterval(() => {
  if ([...document.querySelectorAll(css)].some((e) => !text || e.textContent.includes(text))) {
    window.__seenAt = Date.now();
    clearInterval(timer);
  }
}, 5);
"""


class HelpDesk:
    """What a person does in the UI, in one browser window."""

    def __init__(self, driver: WebDriver, base: str, shots: Path, name: str) -> None:
        self.d, self.base, self.shots, self.name = driver, base, shots, name

    # ---- basics ---------------------------------------------------------------------------------------
    def wait(self, condition: Callable[[WebDriver], Any], timeout: float = WAIT, message: str = "") -> Any:
        def safe(driver: WebDriver) -> Any:
            try:
                return condition(driver)
            except StaleElementReferenceException:
                return False

        return WebDriverWait(self.d, timeout, poll_frequency=0.05).until(safe, message)

    def find(self, css: str) -> WebElement:
        return self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css), message=f"{self.name}: no {css}")

    def click(self, css: str) -> None:
        """Click the element, finding it again if a live update replaced it meanwhile."""

        def clicked(driver: WebDriver) -> bool:
            driver.find_element(By.CSS_SELECTOR, css).click()
            return True

        self.wait(clicked, message=f"{self.name}: cannot click {css}")

    def attr(self, css: str, name: str) -> str:
        found = self.wait(lambda d: (d.find_element(By.CSS_SELECTOR, css).get_attribute(name) or "",))
        return str(found[0])

    def text(self, css: str) -> str:
        return str(self.wait(lambda d: (d.find_element(By.CSS_SELECTOR, css).text,))[0])

    def all(self, css: str) -> list[WebElement]:
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def go(self, route: str) -> None:
        self.d.get(f"{self.base}/#{route}")

    def shot(self, name: str) -> None:
        """A screenshot of the whole page (not only the window), without the passing toast."""
        self.d.execute_script("const t = document.getElementById('toast'); if (t) t.className = 'toast';")
        time.sleep(0.3)  # let transitions settle
        size = self.d.get_window_size()
        width = self.d.execute_script("return window.innerWidth")
        height = self.d.execute_script("return Math.max(document.documentElement.scrollHeight, window.innerHeight)")
        self.d.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": min(int(height), 4000), "deviceScaleFactor": 1, "mobile": False},
        )
        try:
            self.d.save_screenshot(str(self.shots / f"{name}.png"))
        finally:
            self.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
            self.d.set_window_size(size["width"], size["height"])

    def console_errors(self, allowed: tuple[str, ...] = ()) -> list[str]:
        entries = self.d.get_log("browser")
        return [e["message"] for e in entries if e["level"] == "SEVERE" and not any(a in e["message"] for a in allowed)]

    # ---- sign in --------------------------------------------------------------------------------------
    def sign_in(self, user: str, role: str) -> None:
        self.go("/signin")
        with_sign_out = self.all("#sign-out")
        if with_sign_out:
            with_sign_out[0].click()

        def filled(driver: WebDriver) -> bool:
            """Both fields, found again on each try: the form may be drawn again while the page loads."""
            field = driver.find_element(By.CSS_SELECTOR, "#signin-user")
            roles = Select(driver.find_element(By.CSS_SELECTOR, "#signin-role"))
            roles.select_by_value(role)  # NoSuchElementException until the roles are there: tried again
            field.clear()
            field.send_keys(user)
            chosen = roles.first_selected_option.get_attribute("value")
            return field.get_attribute("value") == user and chosen == role

        self.wait(filled, message=f"{self.name}: cannot fill the sign-in form")
        self.click("#debug-signin button[type=submit]")
        self.wait(
            lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=user-name]").text == user,
            message=f"{user} signed in",
        )

    def live(self) -> None:
        self.wait(
            lambda d: "live-live" in d.find_element(By.ID, "live-status").get_attribute("class"), message="live stream"
        )

    # ---- live-update delay ----------------------------------------------------------------------------
    def mark_submit(self) -> None:
        self.d.execute_script("window.__submittedAt = Date.now()")

    def watch(self, css: str, text: str = "") -> None:
        self.d.execute_script(WATCH, css, text)

    def delay_ms(self, actor: HelpDesk, what: str) -> int:
        """Milliseconds from the actor's submit to this browser showing the watched element."""
        seen = self.wait(lambda d: d.execute_script("return window.__seenAt"), LIVE, f"{self.name}: {what} live")
        return int(seen) - int(actor.d.execute_script("return window.__submittedAt"))

    # ---- ticket page ----------------------------------------------------------------------------------
    def open_ticket(self, ticket_id: str) -> None:
        self.go(f"/ticket/{ticket_id}")
        self.find(".ticket-head .badge.place")

    def place(self) -> str:
        return self.attr(".ticket-head .badge.place", "data-place")

    def wait_place(self, place: str, timeout: float = WAIT) -> None:
        self.wait(lambda d: self.place() == place, timeout, f"{self.name}: ticket never reached {place}")

    def buttons(self) -> set[str]:
        script = (
            "return [...document.querySelectorAll('.action-buttons button[data-transition]')]"
            ".map(b => b.dataset.transition)"
        )
        return set(self.d.execute_script(script))

    def fire(self, transition: str, **fields: str) -> None:
        before = self.attr(".ticket-head", "data-version")
        self.click(f".action-buttons button[data-transition={transition}]")
        form = self.find(f"form[data-transition={transition}]")
        for name, value in fields.items():
            element = form.find_element(By.CSS_SELECTOR, f"[name={name}]")
            element.clear()
            element.send_keys(value)
        self.mark_submit()
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.find(".action-outcome .success")
        self.wait(lambda d: self.attr(".ticket-head", "data-version") != before, message="version moved")


@pytest.fixture
def desk(browser: Callable[..., WebDriver], ui_base_url: str, screenshots: Path) -> Callable[[str], HelpDesk]:
    def open_desk(name: str, width: int = 1280, height: int = 900) -> HelpDesk:
        return HelpDesk(browser(width, height), ui_base_url, screenshots, name)

    return open_desk


def test_ticket_lifecycle_across_roles_with_live_updates(desk: Callable[..., HelpDesk]) -> None:
    tag = uuid.uuid4().hex[:8]
    subject = f"Printer on floor 3 jams {tag}"
    customer_name, agent_name, supervisor_name = f"carol-{tag}", f"alex-{tag}", f"sam-{tag}"

    customer = desk("customer")
    staff = desk("staff")

    # The agent watches the queue while the customer opens a ticket: the row appears without a reload.
    staff.sign_in(agent_name, "agent")
    assert "agent" in staff.text("[data-testid=user-roles]").lower()
    staff.go("/queue")
    staff.find(".results[aria-busy=false]")
    staff.live()
    staff.d.execute_script("window.__sameDocument = true")

    customer.go("/")
    customer.find("#debug-signin")
    customer.shot("01-sign-in")
    customer.sign_in(customer_name, "customer")
    customer.find(".portal-list .state-empty")
    customer.shot("02-customer-no-tickets")
    customer.click("a[href='#/new']")
    form = customer.find("form#new-ticket")
    assert not form.find_elements(By.CSS_SELECTOR, "[name=requester]"), "customers file only for themselves"
    form.find_element(By.NAME, "subject").send_keys(subject)
    form.find_element(By.NAME, "description").send_keys("It jams on every duplex print since Monday.")
    Select(form.find_element(By.NAME, "priority")).select_by_value("high")
    customer.shot("03-open-ticket-form")
    staff.watch(".queue-table tbody tr[data-ticket-id]", subject)
    customer.mark_submit()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    customer.wait(lambda d: "/ticket/" in d.current_url, message="ticket page after opening")
    ticket_id = customer.d.current_url.rsplit("/ticket/", 1)[1]
    customer.wait_place("new")
    assert customer.buttons() == set(), "a customer may not act on a new ticket"
    customer.live()

    staff.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-ticket-id='{ticket_id}']"), LIVE, "new row live")
    delays = {"queue_new_row": staff.delay_ms(customer, "new row")}
    assert staff.d.execute_script("return window.__sameDocument === true"), "the queue must update without a reload"
    staff.shot("04-agent-queue-table")
    staff.click("button[data-view=board]")
    staff.find(f".board-col[data-place=new] li[data-ticket-id='{ticket_id}']")
    staff.shot("05-agent-queue-board")

    # Agent: assign, start work, request information; each step offers exactly the agent's transitions.
    staff.open_ticket(ticket_id)
    assert staff.buttons() == {"assign"}
    staff.fire("assign", assignee=agent_name)
    assert staff.buttons() == {"start_work"}
    customer.wait(lambda d: agent_name in customer.text(".details [data-field=assignee]"), LIVE, "assignee live")
    staff.fire("start_work")
    staff.wait_place("in_progress")
    assert staff.buttons() == {"escalate", "request_info", "resolve"}
    staff.shot("06-agent-ticket-in-progress")

    customer.d.execute_script("window.__sameDocument = true")
    customer.watch(".action-buttons button[data-transition=customer_reply]")
    staff.fire("request_info", message="Which printer model, and does it happen on single-sided prints too?")
    staff.wait_place("pending_customer")
    assert staff.buttons() == set()

    # The customer's open page follows live: the question and the reply button appear without a reload.
    customer.wait(lambda d: customer.buttons() == {"customer_reply"}, LIVE, "reply button live")
    delays["ticket_page_action"] = customer.delay_ms(staff, "reply button")
    assert customer.d.execute_script("return window.__sameDocument === true")
    assert "Which printer model" in customer.text(".conversation")
    # The delay is measured and reported (the product aims at well under a second), never asserted: these
    # machines are noisy, and a speed belongs in a benchmark's figures, not in a test's verdict.
    LAG_FILE.parent.mkdir(parents=True, exist_ok=True)
    LAG_FILE.write_text(json.dumps(delays) + "\n")
    print(f"live-update delay in a second browser: {delays}")
    customer.shot("07-customer-info-requested")
    customer.fire("customer_reply", message="An HP LaserJet M507; single-sided prints are fine.")
    customer.wait_place("in_progress")
    assert customer.buttons() == set()

    staff.wait_place("in_progress", LIVE)
    staff.fire("escalate", reason="Hardware fault, needs the vendor contract.")
    staff.wait_place("escalated")
    assert staff.buttons() == set(), "an agent may not resolve an escalated ticket"

    # Supervisor: the escalated queue lists the ticket, and only the supervisor's transition is offered.
    staff.sign_in(supervisor_name, "supervisor")
    assert "inherits agent" in staff.text("[data-testid=user-roles]")
    staff.click("nav a[href='#/queue?place=escalated']")
    staff.find(f"tr[data-ticket-id='{ticket_id}']")
    assert {r.get_attribute("data-place") for r in staff.all("tbody tr[data-ticket-id]")} == {"escalated"}
    staff.shot("08-supervisor-escalated-queue")
    staff.click(f"tr[data-ticket-id='{ticket_id}'] a")
    staff.wait_place("escalated")
    assert staff.buttons() == {"resolve_escalated"}
    assert staff.all(".net .transition.enabled[data-transition=resolve_escalated]")
    assert staff.all(".net .place.marked[data-place=escalated]")
    staff.shot("09-supervisor-ticket-escalated")
    staff.fire("resolve_escalated", resolution="Vendor replaced the duplex unit.")
    staff.wait_place("resolved")

    # Agent closes; the customer sees the reopen button live and reopens.
    staff.sign_in(agent_name, "agent")
    staff.open_ticket(ticket_id)
    assert staff.buttons() == {"close"}
    staff.fire("close")
    staff.wait_place("closed")
    assert staff.buttons() == set()
    customer.wait(lambda d: customer.buttons() == {"reopen"}, LIVE, "reopen button live")
    customer.shot("10-customer-closed")
    customer.fire("reopen", reason="It jams again after the repair.")
    customer.wait_place("new")
    assert customer.buttons() == set()
    staff.wait_place("new", LIVE)
    assert staff.buttons() == {"assign"}

    # The timeline tells who did what, in order.
    events = staff.all(".timeline li.event")
    assert [e.get_attribute("data-type") for e in events] == ROUND_TRIP
    timeline = staff.text(".timeline")
    for who in (customer_name, agent_name, supervisor_name):
        assert who in timeline
    assert "Vendor replaced the duplex unit." in timeline
    staff.shot("11-agent-ticket-timeline")

    staff.go("/stats")
    staff.find(".kpis [data-kpi=total]")
    staff.find(".chart-bars")
    staff.shot("12-stats")
    staff.go("/workflow")
    staff.find(".net")
    staff.shot("13-workflow")

    customer.go("/tickets")
    customer.find(f".ticket-card[data-ticket-id='{ticket_id}']")
    customer.shot("14-customer-my-tickets")

    assert customer.console_errors() == []
    assert staff.console_errors() == []


def test_customer_cannot_reach_staff_pages_or_other_tickets(desk: Callable[..., HelpDesk]) -> None:
    tag = uuid.uuid4().hex[:8]
    owner = desk("owner")
    owner.sign_in(f"olga-{tag}", "customer")
    owner.go("/new")
    owner.find("form#new-ticket [name=subject]").send_keys(f"Owner's ticket {tag}")
    owner.click("form#new-ticket button[type=submit]")
    owner.wait(lambda d: "/ticket/" in d.current_url)
    ticket_id = owner.d.current_url.rsplit("/ticket/", 1)[1]

    other = desk("other")
    other.sign_in(f"otto-{tag}", "customer")
    nav = other.text("#nav")
    assert "Queue" not in nav and "Stats" not in nav
    other.go("/queue")
    other.wait(lambda d: d.current_url.endswith("#/tickets"), message="customer sent to the portal")
    other.go(f"/ticket/{ticket_id}")
    other.wait(lambda d: "Ticket not found" in d.find_element(By.ID, "page-title").text)
    other.shot("20-customer-foreign-ticket")
    assert other.console_errors(allowed=("404",)) == []


def test_refused_action_shows_the_api_message(desk: Callable[..., HelpDesk]) -> None:
    tag = uuid.uuid4().hex[:8]
    agent = desk("agent")
    agent.sign_in(f"ada-{tag}", "agent")
    agent.go("/new")
    agent.find("form#new-ticket [name=subject]").send_keys(f"Refusal check {tag}")
    agent.find("form#new-ticket [name=requester]").send_keys(f"rita-{tag}")
    agent.click("form#new-ticket button[type=submit]")
    agent.wait(lambda d: "/ticket/" in d.current_url)
    agent.wait_place("new")
    agent.click(".action-buttons button[data-transition=assign]")
    field = agent.find("form[data-transition=assign] [name=assignee]")
    # The browser stops at the schema's maxLength; lift it to see the API's own refusal.
    agent.d.execute_script("arguments[0].removeAttribute('maxlength')", field)
    field.send_keys("x" * 300)
    agent.click("form[data-transition=assign] button[type=submit]")
    error = agent.find("form[data-transition=assign] .form-error:not([hidden])")
    assert not error.text.startswith("Refused.")
    assert "200" in error.text or "assignee" in error.text.lower()
    assert field.get_attribute("aria-invalid") == "true"
    agent.shot("21-refused-action")
    assert agent.place() == "new"
    assert agent.console_errors(allowed=("422",)) == []


def test_phone_width_pages_render(desk: Callable[..., HelpDesk]) -> None:
    tag = uuid.uuid4().hex[:8]
    phone = desk("phone", 390, 844)
    phone.sign_in(f"pia-{tag}", "customer")
    phone.go("/new")
    phone.find("form#new-ticket [name=subject]").send_keys(f"Phone ticket {tag}")
    phone.click("form#new-ticket button[type=submit]")
    phone.wait(lambda d: "/ticket/" in d.current_url)
    phone.wait_place("new")
    width = phone.d.execute_script("return document.documentElement.scrollWidth")
    viewport = phone.d.execute_script("return window.innerWidth")
    assert width <= viewport + 1, "the page must not scroll sideways on a phone"
    phone.shot("30-phone-ticket")
    phone.go("/tickets")
    phone.find(".ticket-card")
    phone.shot("31-phone-my-tickets")

    # Staff have the longest navigation: on a phone every link wraps into sight, none hides off-screen.
    phone.sign_in(f"pete-{tag}", "supervisor")
    phone.go("/queue")
    phone.find(".results[aria-busy=false]")
    outside = phone.d.execute_script(
        "return [...document.querySelectorAll('#nav a')].filter((a) => {"
        " const r = a.getBoundingClientRect(); return r.left < 0 || r.right > window.innerWidth; })"
        ".map((a) => a.textContent)"
    )
    assert outside == [], f"navigation links off-screen on a phone: {outside}"
    assert phone.d.execute_script("return document.documentElement.scrollWidth") <= viewport + 1
    phone.shot("32-phone-queue")
    assert phone.console_errors() == []
