"""At 1366×900 nothing on any menu page of the seeded demo is wider than the screen (issue 11):
every page each demo user reaches from the menu, plus a task page and a case's history."""

import pytest

from tests.browser import CHROMIUM_ARGS

USERS = ("city_admin", "heshan_reviewer", "school_officer", "branch_secretary", "mentor_zhang")
VIEWPORT = {"width": 1366, "height": 900}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _signed_in(browser, base, username):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/inbox/**")
    return context, page


def _too_wide(page) -> list[str]:
    """The page's overflow, with the elements that stick out (for the failure message)."""
    width, screen = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    if width <= screen:
        return []
    culprits = page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
            .slice(0, 3).map(e => e.tagName + '#' + e.id + '.' + e.className)"""
    )
    return [f"{width} > {screen}", *culprits]


@pytest.mark.parametrize("username", USERS)
def test_no_menu_page_is_wider_than_the_screen(demo_server, browser, username):
    context, page = _signed_in(browser, demo_server, username)
    links = page.eval_on_selector_all(
        "a.vf-page__menu-list-item", "els => els.map(e => e.getAttribute('href')).filter(h => h && h.startsWith('/'))"
    )
    pages = sorted(set(links))
    assert len(pages) >= 5, pages
    # A task page and a case page with its history, reached from the first list that has one.
    page.goto(f"{demo_server}/inbox/cases/")
    case_link = page.locator("td a[href^='/inbox/cases/']").first
    if case_link.count():
        case_url = case_link.get_attribute("href")
        pages += [case_url, f"{case_url}audit/"]
    wide = {}
    for url in pages:
        page.goto(f"{demo_server}{url}")
        page.wait_for_load_state()
        if found := _too_wide(page):
            wide[url] = found
    context.close()
    assert wide == {}, wide


def test_list_cells_show_the_whole_task_name(demo_server, browser):
    context, page = _signed_in(browser, demo_server, "mentor_zhang")
    cut = page.evaluate(
        """() => [...document.querySelectorAll('td.vf-list__table-cell-text')]
            .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""
    )
    context.close()
    assert cut == []
