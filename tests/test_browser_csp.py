"""The pages really work under the Content-Security-Policy: real headless Chromium against the
demo server, with every ``securitypolicyviolation`` event and every console error recorded."""

from tests.browser import CHROMIUM_ARGS

# Installed before any page script: collects what the policy blocks, across full page loads
# (kept in sessionStorage) and Turbo visits alike.
RECORD_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  const seen = JSON.parse(sessionStorage.getItem('csp') || '[]');
  seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
  sessionStorage.setItem('csp', JSON.stringify(seen));
});
"""


def test_the_pages_work_under_the_content_security_policy(demo_server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.add_init_script(RECORD_VIOLATIONS)
        errors = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))

        def violations():
            return page.evaluate("JSON.parse(sessionStorage.getItem('csp') || '[]')")

        login = page.goto(f"{demo_server}/accounts/login/")
        policy = login.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "unsafe-eval" not in policy
        assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        page.fill("input[name=username]", "school_officer")
        page.fill("input[name=password]", "demo12345")
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{demo_server}/inbox/")

        # 我的待办, with viewflow's frontend running: its components are defined, Turbo drives.
        expect(page.locator("h1")).to_contain_text("我的待办")
        assert page.evaluate("!!customElements.get('vf-page') && typeof window.Turbo === 'object'")
        # The drawer opens and closes from the top bar's menu button (viewflow's JS).
        # (Full class lists: the MDC drawer adds --closing / --animate while it moves.)
        drawer = page.locator("aside.vf-page__menu")
        expect(drawer).to_have_class("vf-page__menu mdc-drawer mdc-drawer--dismissible mdc-drawer--open")
        page.click("button.vf-page__menu-toggle")
        expect(drawer).to_have_class("vf-page__menu mdc-drawer mdc-drawer--dismissible")
        page.click("button.vf-page__menu-toggle")
        expect(drawer).to_have_class("vf-page__menu mdc-drawer mdc-drawer--dismissible mdc-drawer--open")

        # A task page, reached through the menu (a Turbo visit), and a form submitted from it.
        page.get_by_role("link", name="待认领").first.click()
        expect(page.locator("h1")).to_contain_text("待认领")
        page.locator("tr", has_text="培养期满").first.get_by_role("button", name="认领").click()
        expect(page.locator(".sp-message")).to_contain_text("已认领")
        expect(page.locator("#task-title")).to_be_visible()

        # A case page.
        page.goto(f"{demo_server}/inbox/cases/?q=")
        page.locator("table a[href*='/inbox/cases/']").first.click()
        expect(page.locator("#case-state")).to_be_visible()
        expect(page.locator("#events")).to_be_visible()

        assert violations() == []

        # 批量导出 (a unit's reviewer): the job page's own inline script runs with the page's
        # nonce (it turns Turbo Drive off while the job waits), so nonces work, not only files.
        page.context.clear_cookies()
        page.goto(f"{demo_server}/accounts/login/")
        page.fill("input[name=username]", "heshan_reviewer")
        page.fill("input[name=password]", "demo12345")
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{demo_server}/inbox/")
        page.goto(f"{demo_server}/inbox/exports/")
        page.locator("#export-ledgers button[type=submit]").click()
        expect(page.locator("#job")).to_be_visible()
        assert page.evaluate("window.Turbo.session.drive") is False

        assert violations() == []
        assert [e for e in errors if "Content Security Policy" in e or "Refused to" in e] == []
        assert errors == []
        browser.close()
