"""The agent's queue in a real headless Chromium: long words that wrap, a phone layout, a board that fits 1280 px,
search by number, requester and conversation text, keyboard shortcuts, bulk assign and close with per-ticket
outcomes, unread markers, and stats that say which time zone their days are in."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.e2e.ui.arrange import Api
from tests.e2e.ui.test_ui import LIVE, HelpDesk

# Anything wider than the window scrolls the page sideways; one pixel of rounding is tolerated.
OVERFLOW = """
const vw = window.innerWidth;
const out = [...document.querySelectorAll(arguments[0])]
  .filter((e) => e.getBoundingClientRect().right > vw + 1 || e.getBoundingClientRect().left < -1)
  .map((e) => e.tagName + '.' + e.className + ' right=' + Math.round(e.getBoundingClientRect().right));
return {scroll: document.documentElement.scrollWidth, vw, out};
"""


@pytest.fixture
def window(browser: Callable[..., WebDriver], ui_base_url: str, screenshots: Path) -> Callable[..., HelpDesk]:
    """A new Chromium window driven as a person, at the given size."""

    def open_window(name: str, width: int = 1280, height: int = 900) -> HelpDesk:
        return HelpDesk(browser(width, height), ui_base_url, screenshots, name)

    return open_window


def _staff(window: Callable[..., HelpDesk], tag: str, role: str = "agent", **size: int) -> HelpDesk:
    person = window(f"{role}-{tag}", **size)
    person.sign_in(f"{role[:3]}-{tag}", role)
    return person


def _queue(person: HelpDesk, route: str = "/queue") -> None:
    person.go(route)
    person.find(".results[aria-busy=false]")
    person.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, ".results .state-loading"), message="queue loaded")


def _rows(person: HelpDesk) -> list[str]:
    return [str(r.get_attribute("data-ticket-id")) for r in person.all(".queue-table tbody tr[data-ticket-id]")]


def _within_viewport(person: HelpDesk, what: str, css: str) -> None:
    found = person.d.execute_script(OVERFLOW, css)
    assert found["scroll"] <= found["vw"] + 1, f"{what}: the page scrolls sideways ({found})"
    assert found["out"] == [], f"{what}: elements outside the window: {found['out'][:5]}"


def test_a_long_unbroken_subject_wraps_in_table_and_board(window: Callable[..., HelpDesk], ui_base_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    api = Api(ui_base_url, f"ann-{tag}", "agent")
    subject = f"W{tag}" + "x" * 191
    assert len(subject) == 200
    ticket_id = api.ticket(subject, f"rob-{tag}", description="y" * 300)
    for width, height in ((1280, 900), (390, 844)):
        person = _staff(window, f"{tag}{width}", width=width, height=height)
        _queue(person, f"/queue?q={tag}")
        person.find(f"tr[data-ticket-id='{ticket_id}']")
        _within_viewport(person, f"table at {width}px", ".queue-table, .queue-table td, .results, .table-wrap")
        person.shot(f"40-long-subject-table-{width}")
        person.click("button[data-view=board]") if width > 640 else _queue(person, f"/queue?q={tag}&view=board")
        person.find(f".board-card[data-ticket-id='{ticket_id}']")
        _within_viewport(person, f"board at {width}px", ".board, .board-col, .board-card")
        person.shot(f"41-long-subject-board-{width}")
        assert person.console_errors() == []


def test_phone_queue_shows_the_first_ticket_with_filters_folded(
    window: Callable[..., HelpDesk], ui_base_url: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    Api(ui_base_url, f"ann-{tag}", "agent").ticket(f"Phone first row {tag}", f"rob-{tag}")
    # A supervisor has the longest navigation of all.
    phone = _staff(window, tag, "supervisor", width=390, height=844)
    _queue(phone)
    first = phone.find(".queue-table tbody tr[data-ticket-id]")
    bottom = phone.d.execute_script("return arguments[0].getBoundingClientRect().bottom", first)
    assert bottom <= phone.d.execute_script("return window.innerHeight"), f"first row ends at {bottom}px"
    toggle = phone.find("#filters-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not phone.find("#queue-filters").is_displayed()
    assert phone.find("#filter-q").is_displayed(), "search stays in sight"
    phone.shot("42-phone-queue-folded")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert phone.find("#filter-place").is_displayed()
    Select(phone.find("#filter-place")).select_by_value("new")
    phone.wait(lambda d: "Filters (1)" in toggle.text, message="the button counts the set filter")
    phone.shot("43-phone-queue-filters-open")
    _within_viewport(phone, "phone queue", ".filters, .queue-tools, .count-chips, .queue-table")
    assert phone.console_errors() == []


def test_board_fits_1280_pixels(window: Callable[..., HelpDesk], ui_base_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    Api(ui_base_url, f"ann-{tag}", "agent").ticket(f"Board fit {tag}", f"rob-{tag}")
    person = _staff(window, tag)
    _queue(person, "/queue?view=board")
    columns = person.all(".board-col")
    assert len(columns) == 7
    last = person.d.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return {right: r.right, top: r.top, vw: window.innerWidth,"
        " firstTop: arguments[1].getBoundingClientRect().top}",
        columns[-1],
        columns[0],
    )
    assert last["right"] <= last["vw"], f"the last column ends at {last['right']}px of {last['vw']}"
    assert last["top"] == last["firstTop"], "at 1280 px all seven columns sit side by side"
    _within_viewport(person, "board at 1280px", ".board, .board-col")
    person.shot("44-board-1280")


def test_search_finds_number_requester_and_reply_text(window: Callable[..., HelpDesk], ui_base_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    api = Api(ui_base_url, f"ann-{tag}", "agent")
    requester = f"quinn-{tag}"
    wanted = api.ticket(f"Laptop battery {tag}", requester)
    other = api.ticket(f"Laptop battery {tag} as well", f"other-{tag}")
    word = f"zebra{uuid.uuid4().hex[:6]}"
    api.call("POST", f"/api/support-ticket/{wanted}/replies", {"body": f"Please try the {word} adapter."})
    person = _staff(window, tag)
    _queue(person)
    assert "requester" in (person.find("#filter-q").get_attribute("placeholder") or "").lower()
    for query in (f"#{wanted[:8]}", requester, word):
        field = person.find("#filter-q")
        field.clear()
        field.send_keys(query + Keys.ENTER)
        person.wait(lambda d: _rows(person) == [wanted], message=f"search {query!r} finds only the ticket")
        assert "q=" in person.d.current_url.split("#", 1)[1], "the search is in the address, to share or reload"
    person.shot("45-search-reply-word")
    field = person.find("#filter-q")
    field.clear()
    field.send_keys(tag + Keys.ENTER)
    person.wait(lambda d: set(_rows(person)) == {wanted, other}, message="both tickets by their subject")
    assert person.console_errors() == []


def _focused(driver: WebDriver) -> str:
    return str(driver.execute_script("const e = document.activeElement; return e ? (e.id || e.tagName) : ''"))


def test_keyboard_shortcuts_and_their_help(window: Callable[..., HelpDesk], ui_base_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    api = Api(ui_base_url, f"ann-{tag}", "agent")
    older = api.ticket(f"Keyboard older {tag}", f"rob-{tag}")
    newer = api.ticket(f"Keyboard newer {tag}", f"rob-{tag}")
    person = _staff(window, tag)
    _queue(person, f"/queue?q={tag}")
    person.wait(lambda d: _rows(person) == [newer, older], message="two rows")
    keys = person.d.switch_to  # keys go to whatever has focus, as a person's would

    # "?" opens the help as a modal dialog; Escape closes it and focus returns where it was.
    person.find("#page-title").click()
    before = _focused(person.d)
    keys.active_element.send_keys("?")
    dialog = person.find("dialog#shortcut-help[open]")
    assert "g then q" in dialog.text.replace("\n", " ")
    assert person.d.execute_script("return document.activeElement.closest('dialog') !== null")
    person.shot("46-shortcut-help")
    keys.active_element.send_keys(Keys.ESCAPE)
    person.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog#shortcut-help"), message="help closed")
    assert _focused(person.d) == before

    # j/k move through the rows, x selects, o opens.
    keys.active_element.send_keys("j")
    person.wait(lambda d: person.attr("tr.is-current", "data-ticket-id") == newer)
    keys.active_element.send_keys("j")
    person.wait(lambda d: person.attr("tr.is-current", "data-ticket-id") == older)
    keys.active_element.send_keys("k")
    person.wait(lambda d: person.attr("tr.is-current", "data-ticket-id") == newer)
    keys.active_element.send_keys("x")
    person.wait(lambda d: "1 ticket selected" in person.text(".bulk-bar"))
    # A live change redraws the list; the keyboard keeps its place.
    person.live()
    api.fire("assign", older, assignee=api.user)
    person.wait(lambda d: api.user in person.text(f"tr[data-ticket-id='{older}'] .col-assignee"), LIVE, "live redraw")
    focused_row = "return document.activeElement.closest('tr') && document.activeElement.closest('tr').dataset.ticketId"
    assert person.d.execute_script(focused_row) == newer
    assert person.attr("tr.is-current", "data-ticket-id") == newer
    keys.active_element.send_keys("o")
    person.wait(lambda d: d.current_url.endswith(f"/ticket/{newer}"), message="o opens the current ticket")

    # "g q" goes to the queue, "/" focuses the search, and keys typed in it stay text.
    person.find(".ticket-head")
    keys.active_element.send_keys("g", "q")
    person.wait(lambda d: "#/queue" in d.current_url, message="g q")
    person.find(".results[aria-busy=false]")
    keys.active_element.send_keys("/")
    person.wait(lambda d: _focused(d) == "filter-q", message="/ focuses the search")
    keys.active_element.send_keys("jk?")
    assert person.find("#filter-q").get_attribute("value") == "jk?"
    assert not person.all("dialog#shortcut-help")
    person.find("#page-title").click()
    keys.active_element.send_keys("g", "s")
    person.wait(lambda d: "#/stats" in d.current_url, message="g s")
    keys.active_element.send_keys("n")
    person.wait(lambda d: "#/new" in d.current_url, message="n")
    assert person.console_errors() == []


def test_bulk_assign_then_close_shows_each_tickets_outcome(window: Callable[..., HelpDesk], ui_base_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    api = Api(ui_base_url, f"ann-{tag}", "agent")
    fresh = [api.ticket(f"Bulk fresh {i} {tag}", f"rob-{tag}") for i in range(2)]
    done = api.ticket(f"Bulk resolved {tag}", f"rob-{tag}")
    api.fire("assign", done, assignee=api.user)
    api.fire("start_work", done)
    api.fire("resolve", done, resolution="Fixed.")
    colleague = Api(ui_base_url, f"cora-{tag}", "agent")
    colleague.ticket(f"makes cora known {tag}-x", f"rob-{tag}")

    person = _staff(window, tag)
    _queue(person, f"/queue?q={tag}&sort=created")
    person.wait(lambda d: len(_rows(person)) == 4, message="four rows")
    person.find("#select-all").click()
    assert "4 tickets selected" in person.text(".bulk-bar")
    # Leave the colleague's ticket out of it.
    extra = next(t for t in _rows(person) if t not in (*fresh, done))
    person.click(f"input[data-select='{extra}']")
    assert "3 tickets selected" in person.text(".bulk-bar")
    assert person.find("#select-all").get_attribute("indeterminate") == "true"

    person.click("#bulk-assign")
    person.wait(
        lambda d: colleague.user in [o.get_attribute("value") for o in person.all("#bulk-assignee option")],
        message="the picker lists the staff directory's agents",
    )
    Select(person.find("#bulk-assignee")).select_by_value(colleague.user)
    person.click("#bulk-assign-go")
    person.wait(lambda d: "2 done, 1 refused" in person.text("#bulk-results"), message="assign outcomes")
    for ticket_id in fresh:
        assert "Done" in person.text(f".bulk-result[data-ticket-id='{ticket_id}']")
    refusal = person.text(f".bulk-result[data-ticket-id='{done}']")
    assert "Refused" in refusal and "Not in a state that allows it: it is resolved" in refusal
    person.shot("47-bulk-assign")
    assignees = ", ".join(f"tr[data-ticket-id='{t}'] .col-assignee" for t in fresh)
    person.wait(
        lambda d: [e.text for e in person.all(assignees)] == [colleague.user] * 2, message="both show the assignee"
    )

    # The refused one stays selected; select the others again and close all three.
    person.wait(lambda d: "1 ticket selected" in person.text(".bulk-bar"))
    for ticket_id in fresh:
        person.click(f"input[data-select='{ticket_id}']")
    person.click("#bulk-close")
    person.wait(lambda d: "1 done, 2 refused" in person.text("#bulk-results"), message="close outcomes")
    assert "Done" in person.text(f".bulk-result[data-ticket-id='{done}']")
    for ticket_id in fresh:
        text = person.text(f".bulk-result[data-ticket-id='{ticket_id}']")
        assert "Refused" in text and "it is assigned" in text
    person.wait(lambda d: person.attr(f"tr[data-ticket-id='{done}']", "data-place") == "closed")
    person.shot("48-bulk-close")
    assert person.console_errors(allowed=("409", "422")) == []


def test_unread_marker_follows_other_peoples_changes(window: Callable[..., HelpDesk], ui_base_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    api = Api(ui_base_url, f"ann-{tag}", "agent")
    history = api.ticket(f"Unread history {tag}", f"rob-{tag}")
    person = _staff(window, tag)  # the agent's markers start with this first sign-in
    _queue(person, f"/queue?q={tag}")
    person.live()
    assert not person.all(f"tr[data-ticket-id='{history}'] [data-unread]"), "history before the first sign-in"

    # A ticket opened by someone else arrives live, unread.
    ticket_id = api.ticket(f"Unread check {tag}", f"rob-{tag}")
    row = f"tr[data-ticket-id='{ticket_id}']"
    person.wait(lambda d: person.all(f"{row} [data-unread]"), LIVE, "a new ticket arrives unread")
    marker = person.find(f"{row} [data-unread]")
    assert marker.text.strip().lower() == "unread", "said in words, not only by colour"
    assert "is-unread" in person.attr(row, "class")
    person.click(f"{row} a")
    person.find(".ticket-head")
    person.d.back()
    person.find(row)
    person.wait(lambda d: not person.all(f"{row} [data-unread]"), message="read after opening")
    assert "is-unread" not in person.attr(row, "class")

    # Another agent changes it: the open queue marks it unread again, live.
    api.fire("assign", ticket_id, assignee=api.user)
    person.wait(lambda d: person.all(f"{row} [data-unread]"), LIVE, "unread again after another's change")
    person.shot("49-unread")
    person.click(f"{row} a")
    person.find(".ticket-head")
    person.go(f"/queue?q={tag}")
    person.find(row)
    person.wait(lambda d: not person.all(f"{row} [data-unread]"), message="read after opening again")
    # The browser remembers it per user: a reload still has it read.
    person.d.refresh()
    person.find(row)
    person.find(".results[aria-busy=false]")
    assert not person.all(f"{row} [data-unread]")
    assert person.console_errors() == []


def test_stats_count_days_in_the_viewers_time_zone(window: Callable[..., HelpDesk], ui_base_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    # A zone whose date differs from UTC's right now: eleven hours behind in the UTC morning, fourteen ahead later.
    now = datetime.now(UTC)
    zone = "Pacific/Pago_Pago" if now.hour < 10 else "Pacific/Kiritimati"
    local_day = now.astimezone(ZoneInfo(zone)).date().isoformat()
    assert local_day != now.date().isoformat()
    Api(ui_base_url, f"ann-{tag}", "agent").ticket(f"Stats zone {tag}", f"rob-{tag}")
    person = _staff(window, tag)
    person.d.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": zone})
    person.go("/stats")
    label = person.find("#stats-zone")
    assert zone in label.text
    assert label.get_attribute("data-zone") == zone
    sent = person.d.execute_script(
        "return performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.includes('/api/stats?'))"
    )
    assert any(f"tz={zone.replace('/', '%2F')}" in url for url in sent), sent
    # The ticket opened a moment ago is counted on today's date in that zone, not on UTC's.
    days = person.d.execute_script(
        "return [...document.querySelectorAll('[aria-labelledby=per-day-title] .chart-data tbody th')]"
        ".map((th) => th.textContent)"
    )
    assert days and days[-1] == local_day, days
    person.shot("50-stats-zone")
    assert person.console_errors() == []
