"""The ticket page's conversation in a real headless Chromium: customers and agents talk without changing the
ticket's state, internal notes never reach a customer (not on the page, not after a reload, not live), a customer
reads the help desk in its own words (no net, no versions, no event or transition names), forms keep what was
typed (Escape, reload, another agent's change), Ctrl+Enter sends, limits are counted and a long paste is told,
the assignee comes from the staff directory, refusals are worded for people, and a long subject wraps."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.ui.arrange import debug_token, post
from tests.e2e.ui.test_ui import LIVE, HelpDesk, desk  # noqa: F401 (the fixture is used by name)
from tests.support.ids import random_suffix

# What a customer must never read on its ticket page: event types, the net's words, versions, transition names.
ENGINEERING_WORDS = (
    "Escalateed",
    "RequestInfoed",
    "StartWorked",
    "CustomerReplyed",
    "Resolveed",
    "Closeed",
    "ReplyAdded",
    "InternalNoteAdded",
    "Place",
    "Version",
    "version",
    "fired",
    "Waiting for:",
    "Start work",
    "Request info",
    "start_work",
    "request_info",
    "in_progress",
    "pending_customer",
    "Pending customer",
    "transition",
)


def _ticket(base: str, customer: str, subject: str = "Scanner sends empty e-mails", **extra: Any) -> str:
    token = debug_token(base, customer, "customer")
    body = {"subject": subject, "description": "Every scan arrives as an empty e-mail.", **extra}
    return str(post(base, "/api/support-ticket", body, token)["aggregate_id"])


def _fire(base: str, token: str, transition: str, ticket: str, **data: str) -> None:
    post(base, f"/api/{transition}", {"aggregate_id": ticket, **({"data": data} if data else {})}, token)


def _page_text(d: HelpDesk) -> str:
    return str(d.d.execute_script("return document.body.innerText"))


def _write(d: HelpDesk, text: str) -> None:
    box = d.find(".reply-box textarea")
    box.clear()
    box.send_keys(text)


def _messages(d: HelpDesk) -> list[str]:
    return [
        str(t)
        for t in d.d.execute_script(
            "return [...document.querySelectorAll('.conversation .message .message-body')].map((e) => e.textContent)"
        )
    ]


def _wait_message(d: HelpDesk, text: str, timeout: float = LIVE) -> None:
    d.wait(lambda _: any(text in m for m in _messages(d)), timeout, f"{d.name}: message {text!r} never shown")


def test_customer_and_agent_talk_without_changing_the_state(
    desk: Callable[..., HelpDesk],  # noqa: F811
    ui_base_url: str,
) -> None:
    tag = random_suffix()
    customer_name, agent_name = f"cleo-{tag}", f"abe-{tag}"
    ticket = _ticket(ui_base_url, customer_name)
    customer, agent = desk("customer"), desk("agent")
    customer.sign_in(customer_name, "customer")
    customer.open_ticket(ticket)
    customer.live()
    status = customer.text("[data-testid=customer-status]")
    assert status.startswith("Received") and "assign it soon" in status
    assert customer.text("[data-testid=reply-count]") == "No replies yet"
    first = customer.find(".conversation .message")
    assert first.get_attribute("data-kind") == "opened" and "empty e-mail" in first.text

    agent.sign_in(agent_name, "agent")
    agent.open_ticket(ticket)
    agent.live()
    assert agent.place() == "new"
    assert agent.find(".reply-box").get_attribute("data-kind") == "reply"
    _write(agent, "Which scanner model is it, and since when?")
    agent.click(".reply-box button[type=submit]")
    _wait_message(agent, "Which scanner model")
    _wait_message(customer, "Which scanner model")  # live, no reload
    customer.wait(lambda _: customer.text("[data-testid=reply-count]") == "1 reply", message="reply count")

    # The customer answers without any state change being needed (the ticket is still new); Ctrl+Enter sends.
    _write(customer, "A Brother ADS-2200, since the update on Monday.")
    customer.find(".reply-box textarea").send_keys(Keys.CONTROL, Keys.ENTER)
    _wait_message(customer, "Brother ADS-2200")
    _wait_message(agent, "Brother ADS-2200")
    assert customer.find(".reply-box textarea").get_attribute("value") == "", "a sent reply leaves the box empty"
    assert agent.place() == "new" and customer.place() == "new"
    authors = customer.d.execute_script(
        "return [...document.querySelectorAll('.conversation .message .message-author')].map((e) => e.textContent)"
    )
    assert authors == ["You", agent_name, "You"]
    agent.shot("40-agent-conversation")
    customer.shot("41-customer-conversation")

    # Times: each <time> carries its ISO time and the absolute time with its zone; the page's one clock moves the
    # relative text on without a reload (here the element is told it was written two hours ago).
    stamp = customer.find(".conversation .message time[data-relative]")
    assert stamp.get_attribute("datetime").endswith("Z")
    assert re.search(r"\d{4}, \d{1,2}:\d{2}( [AP]M)? (UTC|GMT[+-]?[\d:]*|[A-Z]{3,5})$", stamp.get_attribute("title"))
    customer.d.execute_script(
        "document.querySelector('.conversation .message time[data-relative]').dateTime ="
        " new Date(Date.now() - 2 * 3600 * 1000).toISOString()"
    )
    customer.wait(
        lambda _: customer.text(".conversation .message time[data-relative]") == "2 hours ago",
        30,
        "the relative time never refreshed",
    )
    assert customer.console_errors() == [] and agent.console_errors() == []


def test_an_internal_note_never_reaches_the_customer(
    desk: Callable[..., HelpDesk],  # noqa: F811
    ui_base_url: str,
) -> None:
    tag = random_suffix()
    customer_name, agent_name = f"nia-{tag}", f"ned-{tag}"
    ticket = _ticket(ui_base_url, customer_name)
    secret = f"Customer is on the old firmware {tag}"
    customer, agent = desk("customer"), desk("agent")
    customer.sign_in(customer_name, "customer")
    customer.open_ticket(ticket)
    customer.live()
    agent.sign_in(agent_name, "agent")
    agent.open_ticket(ticket)

    agent.click(".reply-box .mode-note input")
    assert agent.find(".reply-box").get_attribute("data-kind") == "note"
    assert "only staff" in agent.text(".reply-box .composer-label")
    _write(agent, secret)
    agent.click(".reply-box button[type=submit]")
    _wait_message(agent, secret)
    assert agent.attr(".conversation .message.internal-note", "data-internal") == "true"
    note = agent.text(".conversation .message.internal-note")
    assert "Internal note" in note and secret in note
    # The note is drawn apart from messages: not the background of a public message.
    styles = agent.d.execute_script(
        "const n = document.querySelector('.message.internal-note');"
        "const m = document.querySelector('.message[data-kind=opened]');"
        "return [getComputedStyle(n).backgroundImage, getComputedStyle(n).borderStyle, getComputedStyle(m).borderStyle]"
    )
    assert styles[0] != "none" and styles[1] == "dashed" and styles[2] != "dashed"
    assert "1 internal note" in agent.text("[data-testid=reply-count]")

    # A public reply after the note reaches the customer live; the note does not, then or after a reload.
    agent.click(".reply-box .mode-reply input")
    _write(agent, "We are looking into it.")
    agent.click(".reply-box button[type=submit]")
    _wait_message(customer, "We are looking into it.")
    assert secret not in _page_text(customer)
    assert not customer.all(".internal-note")
    customer.d.refresh()
    customer.find(".conversation .message")
    _wait_message(customer, "We are looking into it.")
    customer.find(".history .history-item")
    page = str(customer.d.execute_script("return document.documentElement.outerHTML"))
    assert secret not in page
    assert "Internal note" not in _page_text(customer)
    agent.shot("42-agent-internal-note")
    assert customer.console_errors() == [] and agent.console_errors() == []


def test_a_customer_reads_its_own_words_and_staff_keep_the_net(
    desk: Callable[..., HelpDesk],  # noqa: F811
    ui_base_url: str,
) -> None:
    tag = random_suffix()
    customer_name, agent_name = f"uma-{tag}", f"vic-{tag}"
    ticket = _ticket(ui_base_url, customer_name)
    agent_token = debug_token(ui_base_url, agent_name, "agent")
    _fire(ui_base_url, agent_token, "assign", ticket, note="Taking this one")
    _fire(ui_base_url, agent_token, "start_work", ticket)
    _fire(ui_base_url, agent_token, "request_info", ticket, message="Which firmware is installed?")

    customer = desk("customer")
    customer.sign_in(customer_name, "customer")
    customer.open_ticket(ticket)
    assert customer.place() == "pending_customer"
    assert customer.text(".ticket-head .badge.place") == "Waiting for your reply"
    assert customer.text("[data-testid=customer-status]").startswith("Waiting for your reply")
    customer.find(".history .history-item")
    text = _page_text(customer)
    for word in ENGINEERING_WORDS:
        assert word not in text, f"a customer reads {word!r} on its ticket page"
    assert "You opened the ticket" in text and "An agent started working on it" in text
    assert "We asked you for more information" in text
    assert not customer.all(".net") and not customer.all("main svg"), "the net is for staff"
    assert not customer.all(".timeline"), "the technical timeline is for staff"
    # Asked for information, the customer answers in the reply box: the workflow's reply moves the ticket on.
    assert customer.find(".reply-box").get_attribute("data-kind") == "answer"
    _write(customer, "Firmware 2.1.4")
    customer.click(".reply-box button[type=submit]")
    customer.wait_place("in_progress")
    assert customer.text(".ticket-head .badge.place") == "In progress"
    _wait_message(customer, "Firmware 2.1.4")

    _fire(ui_base_url, agent_token, "resolve", ticket, resolution="Updated the firmware to 2.2; scans arrive again.")
    customer.wait_place("resolved", LIVE)
    _wait_message(customer, "Updated the firmware to 2.2")
    # Read through the helper, which finds the element again if a live update redraws the conversation meanwhile.
    assert "resolved the ticket" in customer.text(".conversation .message[data-kind=resolution]")
    _fire(ui_base_url, agent_token, "close", ticket)
    customer.wait_place("closed", LIVE)
    closed = customer.text("[data-testid=closed-note]")
    assert "closed" in closed and "reopen" in closed.lower()
    assert not customer.all(".reply-box textarea")
    customer.find("[data-testid=closed-note] button").click()
    customer.find("form[data-transition=reopen] textarea[name=reason]")
    assert not customer.all("form[data-transition=reopen] [name=note]"), "the audit note is for staff"
    text = _page_text(customer)
    for word in ENGINEERING_WORDS:
        assert word not in text, f"a customer reads {word!r} on its closed ticket"
    customer.shot("43-customer-closed-own-words")

    customer.go("/workflow")
    customer.find("main h1")
    assert not customer.all(".net") and "Waiting for your reply" in _page_text(customer)

    agent = desk("agent")
    agent.sign_in(agent_name, "agent")
    agent.open_ticket(ticket)
    agent.find(".workflow .net")
    assert agent.text(".details [data-field=version]")
    types = [e.get_attribute("data-type") for e in agent.all(".timeline li.event")]
    assert "Escalateed" not in types and "RequestInfoed" in types
    timeline = agent.text(".timeline")
    assert "Request info" in timeline and "RequestInfoed" not in timeline, "staff read transition names, not events"
    assert "Taking this one" in timeline
    assert customer.console_errors() == [] and agent.console_errors() == []


def test_drafts_survive_escape_reload_and_a_conflicting_change(
    desk: Callable[..., HelpDesk],  # noqa: F811
    ui_base_url: str,
) -> None:
    tag = random_suffix()
    ticket = _ticket(ui_base_url, f"dora-{tag}")
    me, other = f"eve-{tag}", f"fay-{tag}"
    token = debug_token(ui_base_url, me, "agent")
    _fire(ui_base_url, token, "assign", ticket)
    _fire(ui_base_url, token, "start_work", ticket)
    reason = "The vendor must replace the feeder, our spare is broken."

    agent = desk("agent")
    agent.sign_in(me, "agent")
    agent.open_ticket(ticket)
    agent.click(".action-buttons button[data-transition=escalate]")
    agent.find("form[data-transition=escalate] [name=reason]").send_keys(reason)
    agent.find("form[data-transition=escalate] [name=reason]").send_keys(Keys.ESCAPE)
    agent.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "form[data-transition=escalate]"), message="closed")
    focused = agent.d.execute_script("return document.activeElement.dataset.transition || ''")
    assert focused == "escalate", "Escape gives focus back to the button that opened the form"
    assert "draft" in agent.text(".action-buttons button[data-transition=escalate]")
    agent.click(".action-buttons button[data-transition=escalate]")
    assert agent.find("form[data-transition=escalate] [name=reason]").get_attribute("value") == reason

    # A reload keeps it, and the reply box's text too.
    _write(agent, "Half-written reply to the customer")
    agent.d.refresh()
    agent.find(".ticket-head .badge.place")
    assert agent.find(".reply-box textarea").get_attribute("value") == "Half-written reply to the customer"
    agent.click(".action-buttons button[data-transition=escalate]")
    field = agent.find("form[data-transition=escalate] [name=reason]")
    assert field.get_attribute("value") == reason

    # Another agent, in another browser, asks the customer for information: escalating is no longer possible.
    # The open form stays, with its text and a calm notice, instead of disappearing.
    second = desk("second")
    second.sign_in(other, "agent")
    second.open_ticket(ticket)
    second.fire("request_info", message="Does it happen with every document?")
    agent.wait_place("pending_customer", LIVE)
    notice = agent.find("form[data-transition=escalate] .form-conflict")
    agent.wait(lambda _: notice.is_displayed(), message="conflict notice")
    assert "not possible any more" in notice.text and other in notice.text and "kept" in notice.text
    assert agent.find("form[data-transition=escalate] [name=reason]").get_attribute("value") == reason
    assert not agent.find("form[data-transition=escalate] button[type=submit]").is_enabled()
    agent.shot("44-agent-draft-kept-after-conflict")
    # The notice is calm: it stays (no 4-second message), and the text is still kept after a reload.
    agent.d.refresh()
    agent.find(".ticket-head .badge.place")
    stored = agent.d.execute_script(
        "return Object.keys(localStorage).filter((k) => k.includes('escalate')).map((k) => localStorage.getItem(k))"
    )
    assert any(reason in s for s in stored)
    assert agent.console_errors() == [] and second.console_errors() == []


def test_sent_forms_clear_their_drafts_and_ctrl_enter_sends_a_transition(
    desk: Callable[..., HelpDesk],  # noqa: F811
    ui_base_url: str,
) -> None:
    tag = random_suffix()
    ticket = _ticket(ui_base_url, f"gil-{tag}")
    me = f"hal-{tag}"
    token = debug_token(ui_base_url, me, "agent")
    _fire(ui_base_url, token, "assign", ticket)
    _fire(ui_base_url, token, "start_work", ticket)
    agent = desk("agent")
    agent.sign_in(me, "agent")
    agent.open_ticket(ticket)
    agent.click(".action-buttons button[data-transition=escalate]")
    field = agent.find("form[data-transition=escalate] [name=reason]")
    field.send_keys("Needs the vendor")
    field.send_keys(Keys.CONTROL, Keys.ENTER)
    agent.wait_place("escalated")
    stored = agent.d.execute_script("return Object.keys(localStorage).filter((k) => k.includes('escalate'))")
    assert stored == [], "a sent form clears its draft"
    assert agent.console_errors() == []


PASTE = """
const [el, text] = arguments;
el.focus();
el.dispatchEvent(new ClipboardEvent('paste', {bubbles: true, cancelable: false}));
document.execCommand('insertText', false, text);
"""


def test_counters_and_a_paste_over_the_limit(
    desk: Callable[..., HelpDesk],  # noqa: F811
    ui_base_url: str,
) -> None:
    tag = random_suffix()
    customer_name = f"ida-{tag}"
    ticket = _ticket(ui_base_url, customer_name)
    customer = desk("customer")
    customer.sign_in(customer_name, "customer")
    customer.open_ticket(ticket)
    box = customer.find(".reply-box textarea")
    assert customer.text(".reply-box [data-testid=counter]") == "0 / 10,000 characters", "the limit shows first"
    assert box.get_attribute("maxlength") is None, "no silent cut"
    customer.d.execute_script(PASTE, box, "x" * 12_000)
    assert len(box.get_attribute("value")) == 12_000, "the paste is kept whole"
    counter = customer.text(".reply-box [data-testid=counter]")
    assert counter == "12,000 / 10,000 characters: 2,000 too many"
    told = customer.text(".reply-box .counter-told")
    assert "pasted" in told and "2,000 more" in told and "Nothing was cut" in told
    assert box.get_attribute("aria-invalid") == "true"
    customer.click(".reply-box button[type=submit]")
    error = customer.text(".reply-box .form-error")
    assert error == "Your text is too long: at most 10,000 characters."
    assert customer.text("[data-testid=reply-count]") == "No replies yet", "nothing was sent"
    customer.shot("45-customer-paste-over-limit")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("Short again")
    assert customer.text(".reply-box [data-testid=counter]") == "11 / 10,000 characters"
    assert box.get_attribute("aria-invalid") is None
    assert customer.console_errors() == []


def test_the_assignee_comes_from_the_staff_directory(
    desk: Callable[..., HelpDesk],  # noqa: F811
    ui_base_url: str,
) -> None:
    tag = random_suffix()
    ticket = _ticket(ui_base_url, f"jo-{tag}")
    colleague, me = f"kim-{tag}", f"lou-{tag}"
    # The colleague has worked before (the directory is read from the events); a typo of the name is unknown.
    colleague_token = debug_token(ui_base_url, colleague, "agent")
    post(ui_base_url, f"/api/support-ticket/{ticket}/notes", {"body": "Seen"}, colleague_token)
    agent = desk("agent")
    agent.sign_in(me, "agent")
    agent.open_ticket(ticket)
    agent.click(".action-buttons button[data-transition=assign]")
    field = agent.find("form[data-transition=assign] [name=assignee]")
    assert field.get_attribute("value") == me, "the picker starts at me"
    # The directory may hold thousands: the picker lists the agents whose name starts with what is typed.
    field.clear()
    field.send_keys(colleague[:-2])
    options = (
        "const f = document.querySelector('form[data-transition=assign] [name=assignee]');"
        "return f.list ? [...f.list.options].map((o) => o.value) : []"
    )
    agent.wait(
        lambda d: colleague in d.execute_script(options),
        message="the directory fills the picker with the names starting with what is typed",
    )
    assert agent.text("form[data-transition=assign] .picker-status").endswith(": pick one from the list.")

    field.clear()
    field.send_keys(f"{colleague}x")
    agent.wait(lambda _: "not in the staff directory" in agent.text("form[data-transition=assign] .picker-status"))
    agent.click("form[data-transition=assign] button[type=submit]")
    error = agent.find("form[data-transition=assign] .form-error:not([hidden])")
    message = agent.text("form[data-transition=assign] .form-error .error-message")
    assert message == f"“{colleague}x” is not a known member of staff. Pick an agent from the list."
    assert not message.startswith("Refused")
    assert field.get_attribute("aria-invalid") == "true"
    details = error.find_element(By.CSS_SELECTOR, "details.error-detail")
    assert not details.get_attribute("open"), "the technical detail is folded away"
    details.find_element(By.TAG_NAME, "summary").click()
    assert "unknown_assignee" in details.text and "request" in details.text
    agent.shot("46-agent-unknown-assignee")

    field.clear()
    field.send_keys(colleague)
    agent.click("form[data-transition=assign] button[type=submit]")
    agent.wait_place("assigned")
    assert agent.text(".details [data-field=assignee]") == colleague
    assert agent.console_errors(allowed=("422",)) == []


def test_refusals_and_missing_pages_in_plain_words(
    desk: Callable[..., HelpDesk],  # noqa: F811
    ui_base_url: str,
) -> None:
    tag = random_suffix()
    ticket = _ticket(ui_base_url, f"max-{tag}")
    agent = desk("agent")
    agent.sign_in(f"ola-{tag}", "agent")
    agent.open_ticket(ticket)
    agent.click(".action-buttons button[data-transition=assign]")
    note = agent.find("form[data-transition=assign] [name=note]")
    agent.d.execute_script(PASTE, note, "n" * 2_100)
    agent.click("form[data-transition=assign] button[type=submit]")
    error = agent.text("form[data-transition=assign] .form-error")
    assert error == "Internal note is too long: at most 2,000 characters."
    assert agent.place() == "new"

    stranger = desk("stranger")
    stranger.sign_in(f"pia-{tag}", "customer")
    stranger.go(f"/ticket/{ticket}")
    stranger.wait(lambda d: "Ticket not found" in d.find_element(By.ID, "page-title").text)
    text = _page_text(stranger)
    for word in ("404", "code", "request", "ticket_not_found", "HTTP"):
        assert word not in text, f"a customer's missing page shows {word!r}"
    assert agent.console_errors() == [] and stranger.console_errors(allowed=("404",)) == []


def test_a_long_unbroken_subject_does_not_widen_the_page(
    desk: Callable[..., HelpDesk],  # noqa: F811
    ui_base_url: str,
) -> None:
    tag = random_suffix()
    customer_name = f"quin-{tag}"
    word = ("Unbroken" + tag) * 10
    ticket = _ticket(ui_base_url, customer_name, subject=word[:200], description=word * 3)
    for role, name in (("customer", customer_name), ("agent", f"ray-{tag}")):
        for width in (1280, 390):
            d = desk(f"{role}-{width}", width, 900)
            d.sign_in(name, role)
            d.open_ticket(ticket)
            d.find(".conversation .message")
            sizes = d.d.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth,"
                " document.getElementById('page-title').scrollWidth]"
            )
            assert sizes[0] <= sizes[1] + 1, f"{role} at {width}px: the page scrolls sideways ({sizes})"
            assert sizes[2] <= sizes[1], f"{role} at {width}px: the heading is wider than the window ({sizes})"
            d.d.quit()


def test_the_new_ticket_form_keeps_a_draft_counts_and_sends_with_cmd_enter(
    desk: Callable[..., HelpDesk],  # noqa: F811
) -> None:
    tag = random_suffix()
    customer = desk("customer")
    customer.sign_in(f"sol-{tag}", "customer")
    customer.go("/new")
    subject = customer.find("form#new-ticket [name=subject]")
    assert customer.text("form#new-ticket .field[data-name=subject] [data-testid=counter]") == "0 / 200 characters"
    subject.send_keys(f"Badge reader refuses my card {tag}")
    customer.find("form#new-ticket [name=description]").send_keys("Since the new badges came.")
    assert "Assign" not in _page_text(customer) and "agent" not in _page_text(customer).lower()
    customer.d.refresh()
    subject = customer.find("form#new-ticket [name=subject]")
    customer.wait(lambda _: subject.get_attribute("value") == f"Badge reader refuses my card {tag}", message="draft")
    assert customer.find("form#new-ticket [name=description]").get_attribute("value") == "Since the new badges came."
    # In the description (a textarea, where Enter alone is a new line) Cmd+Enter sends.
    customer.find("form#new-ticket [name=description]").send_keys(Keys.META, Keys.ENTER)
    customer.wait(lambda d: "/ticket/" in d.current_url, message="Cmd+Enter opened the ticket")
    customer.find(".conversation .message")
    customer.go("/new")
    subject = customer.find("form#new-ticket [name=subject]")
    assert subject.get_attribute("value") == "", "an opened ticket clears the form's draft"
    assert customer.console_errors() == []
