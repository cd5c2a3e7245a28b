"""A phone that works (issue 11): the seeded demo in headless Chromium at 390×844 with touch.

An approver opens a task from the card list and approves it by a real tap on the bar at the bottom
of the screen; a mentor writes a 培养记录 the same way; no menu page of any demo user, no task page
and no case page is wider than the phone, and the task page's targets are at least 44 px high.
Taps only: no forced clicks, no clicks from script.
"""

import re

import pytest

from tests.browser import CHROMIUM_ARGS

PHONE = {"width": 390, "height": 844}
USERS = (
    "city_admin",
    "city_auditor",
    "heshan_reviewer",
    "auditor",
    "school_officer",
    "branch_secretary",
    "mentor_zhang",
    "zhaomin",
)
MIN_TARGET = 44


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _phone(browser, base, username):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.locator("button[type=submit], input[type=submit]").first.tap()
    page.wait_for_url(f"{base}/inbox/**")
    return context, page


def _too_wide(page) -> list[str]:
    """What sticks out past the phone's width (the page's scroll width, then the elements)."""
    width, screen = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    # On a phone Chromium widens the layout viewport (innerWidth) to fit content that is too wide,
    # so the width is also held against the phone's own 390 px.
    if width <= screen and screen == PHONE["width"]:
        return []
    culprits = page.evaluate(
        """(limit) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > limit + 1)
            .slice(0, 3).map(e => e.tagName + '#' + e.id + '.' + e.className)""",
        PHONE["width"],
    )
    return [f"{width} > {screen}", *culprits]


def _small_targets(page) -> list[str]:
    """Buttons, links and fields in the page (and the top bar) a finger cannot hit: under 44 px
    high. A tick box or radio counts by its label, which is what the finger taps."""
    return page.evaluate(
        """(min) => [...document.querySelectorAll(
                'main a, main button, main select, main input:not([type=hidden]), header a')]
            .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
            .map(e => ['checkbox', 'radio'].includes(e.type) ? (e.closest('label') || e) : e)
            .filter(e => e.getBoundingClientRect().height < min - 0.5)
            .map(e => `${e.tagName} “${(e.innerText || e.name || '').trim().slice(0, 12)}” `
                      + Math.round(e.getBoundingClientRect().height) + 'px')""",
        MIN_TARGET,
    )


def _in_thumb_reach(box) -> bool:
    """Within the bottom fifth of the screen, wholly on it."""
    return box["y"] >= PHONE["height"] * 0.8 and box["y"] + box["height"] <= PHONE["height"]


def test_an_approver_opens_a_task_from_the_cards_and_approves_it_by_a_tap(demo_server, browser):
    from playwright.sync_api import expect

    context, page = _phone(browser, demo_server, "heshan_reviewer")
    # 我的待办 on a phone: cards, not a table; no header row, each cell labelled.
    cards = page.locator("table.vf-list__table tbody tr")
    expect(cards.first).to_be_visible()
    assert page.locator("table.vf-list__table thead").is_hidden()
    card = cards.filter(has_text="吴刚").filter(has_text="单位审核")
    expect(card).to_have_count(1)
    assert card.locator("td[data-label='办理期限']").is_visible()
    link = card.locator("td.sp-cell-link a")
    assert link.bounding_box()["height"] >= MIN_TARGET
    assert _too_wide(page) == []

    link.tap()
    expect(page.locator("#task-title")).to_have_text("单位审核")
    assert _too_wide(page) == []
    assert _small_targets(page) == []

    # The decision buttons are in the bar at the bottom, where the thumb is, before any scrolling.
    approve = page.get_by_role("button", name="审核通过", exact=True)
    back = page.get_by_role("button", name=re.compile("^退回"))
    for button in (approve, back):
        box = button.bounding_box()
        assert box["height"] >= MIN_TARGET, box
        assert _in_thumb_reach(box), box
    assert approve.bounding_box()["x"] > back.bounding_box()["x"]  # the primary one on the right

    page.fill("form:has(input[name=action][value=approve]) textarea[name=reason]", "手机上审核：材料齐全，同意。")
    approve.tap()

    expect(page.locator(".sp-message")).to_contain_text("审核通过")
    expect(page.locator("#case-state")).to_have_text("市级备案")
    expect(page.locator("#events")).to_contain_text("手机上审核：材料齐全，同意。")
    assert _too_wide(page) == []
    context.close()


def test_the_whole_card_opens_the_task(demo_server, browser):
    """A tap anywhere on a card (not only on the task's name) opens the task."""
    from playwright.sync_api import expect

    context, page = _phone(browser, demo_server, "mentor_zhang")
    card = page.locator("table.vf-list__table tbody tr", has_text="填写培养记录")
    card.scroll_into_view_if_needed()
    unit = card.locator("td[data-label='单位']").bounding_box()
    page.touchscreen.tap(unit["x"] + unit["width"] / 2, unit["y"] + unit["height"] / 2)
    expect(page.locator("#task-title")).to_contain_text("填写培养记录")
    context.close()


def test_a_mentor_writes_a_record_on_the_phone(demo_server, browser):
    from playwright.sync_api import expect

    context, page = _phone(browser, demo_server, "mentor_zhang")
    card = page.locator("table.vf-list__table tbody tr", has_text="填写培养记录").filter(has_text="赵敏")
    card.locator("td.sp-cell-link a").tap()
    expect(page.locator("#task-title")).to_contain_text("填写培养记录")
    assert _too_wide(page) == []
    assert _small_targets(page) == []

    form = page.locator("#record-form")
    assert form.bounding_box()["width"] >= PHONE["width"] - 64  # the form takes the card's width
    page.select_option("#record-form select[name=kind]", "talk")
    page.locator("#record-form textarea[name=content]").tap()
    page.fill(
        "#record-form textarea[name=content]", "在手机上记录：围绕师德师风谈心谈话，对方表示将以党员标准要求自己。"
    )
    save = page.get_by_role("button", name="签名并保存")
    box = save.bounding_box()
    assert box["height"] >= MIN_TARGET and _in_thumb_reach(box), box
    save.tap()

    expect(page.locator(".sp-message")).to_contain_text("培养记录已签名保存")
    expect(
        page.locator("table.vf-list__table tbody tr", has_text="填写培养记录").filter(has_text="赵敏")
    ).to_have_count(0)
    page.locator("#my-trainees").get_by_role("link", name="赵敏").tap()
    expect(page.locator("#records")).to_contain_text("在手机上记录：围绕师德师风谈心谈话")
    assert _too_wide(page) == []
    context.close()


@pytest.mark.parametrize("username", USERS)
def test_no_page_is_wider_than_the_phone(demo_server, browser, username):
    """Every menu page of each demo user, the tasks in their lists and a case with its history."""
    context, page = _phone(browser, demo_server, username)
    links = page.eval_on_selector_all(
        "a.vf-page__menu-list-item", "els => els.map(e => e.getAttribute('href')).filter(h => h && h.startsWith('/'))"
    )
    pages = sorted(set(links))
    assert len(pages) >= 5, pages
    tasks = set()
    for url in ("/inbox/", "/inbox/queue/"):
        page.goto(f"{demo_server}{url}")
        tasks |= set(
            page.eval_on_selector_all("td a[href^='/inbox/tasks/']", "els => els.map(e => e.getAttribute('href'))")
        )
    page.goto(f"{demo_server}/inbox/cases/")
    case_link = page.locator("td a[href^='/inbox/cases/']").first
    cases = []
    if case_link.count():
        case_url = case_link.get_attribute("href")
        cases = [case_url, f"{case_url}audit/"]
    wide, small = {}, {}
    for url in pages + sorted(tasks) + cases:
        page.goto(f"{demo_server}{url}")
        page.wait_for_load_state()
        if found := _too_wide(page):
            wide[url] = found
        if url in tasks and (found := _small_targets(page)):
            small[url] = found
    context.close()
    assert wide == {}, wide
    assert small == {}, small
