"""A school officer and a mentor work the inbox in real headless Chromium against a real server."""

from tests.browser import CHROMIUM_ARGS


def test_school_officer_claims_and_submits_from_the_inbox(demo_server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{demo_server}/accounts/login/")
        page.fill("input[name=username]", "school_officer")
        page.fill("input[name=password]", "demo12345")
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{demo_server}/inbox/")

        page.goto(f"{demo_server}/inbox/queue/")
        expect(page.locator("h1")).to_contain_text("待认领")
        row = page.locator("tr", has_text="培养期满").first
        trainee = row.locator('td[data-label="培养对象"]').inner_text().strip()
        assert trainee
        row.get_by_role("button", name="认领").click()

        # Claimed: the task page says it is ours now, and we submit it to the branch.
        expect(page.locator(".sp-message")).to_contain_text("已认领")
        page.get_by_role("button", name="提交支部审核").click()
        expect(page.locator(".sp-message")).to_contain_text("已提交支部审核")

        # The result: the case now waits at the branch, and its history says who did it.
        page.goto(f"{demo_server}/inbox/cases/?q=")
        page.get_by_role("link", name=trainee).first.click()
        expect(page.locator("#case-state")).to_have_text("支部审核")
        expect(page.locator("#events")).to_contain_text("提交审核")
        browser.close()


def test_mentor_writes_a_record_from_the_inbox_and_the_task_is_gone(demo_server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{demo_server}/accounts/login/")
        page.fill("input[name=username]", "mentor_zhang")
        page.fill("input[name=password]", "demo12345")
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(f"{demo_server}/inbox/")

        # The mentor's front page: his trainees, and this month's record task in the list.
        expect(page.locator("#my-trainees")).to_contain_text("赵敏")
        tasks = page.locator("tr", has_text="填写培养记录").filter(has_text="赵敏")
        expect(tasks).to_have_count(1)

        # One click from the front page to today's record.
        page.locator("#my-trainees tr", has_text="赵敏").get_by_role("link", name="写今天的记录").click()
        expect(page.locator("#task-title")).to_contain_text("填写培养记录")
        page.select_option("#record-form select[name=kind]", "talk")
        page.fill("#record-form textarea[name=content]", "围绕入党动机谈心谈话，对方表示将以党员标准要求自己。")
        page.get_by_role("button", name="签名并保存").click()

        expect(page.locator(".sp-message")).to_contain_text("培养记录已签名保存")
        expect(page.locator("h1")).to_contain_text("我的待办")
        expect(page.locator("tr", has_text="填写培养记录").filter(has_text="赵敏")).to_have_count(0)

        # The record is on the case page, signed by him.
        page.locator("#my-trainees").get_by_role("link", name="赵敏").click()
        expect(page.locator("#records")).to_contain_text("围绕入党动机谈心谈话")
        expect(page.locator("#records")).to_contain_text("张建国")
        browser.close()


def _login(page, server, username):
    page.goto(f"{server}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo12345")
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{server}/inbox/")


def test_unit_reviewer_submits_the_annual_table_and_the_city_accepts_it(demo_server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        reviewer = browser.new_context().new_page()
        _login(reviewer, demo_server, "taojiang_reviewer")

        # 我的待办 lists the year's 附件2 round with its countdown to 10 September.
        round_row = reviewer.locator("#report-tasks tr", has_text="编制并报送年度附件2")
        expect(round_row).to_have_count(1)
        expect(round_row).to_contain_text("桃江县教育局")
        round_row.get_by_role("link").click()
        expect(reviewer.locator("#report-title")).to_contain_text("编制并报送年度附件2")
        expect(reviewer.locator("#live-rows")).to_be_visible()
        reviewer.get_by_role("button", name="核对无误，报送市委教育工委").click()
        expect(reviewer.locator(".sp-message")).to_contain_text("已报送第 1 版")
        unit_row = reviewer.locator("#annex2-status tr", has_text="桃江县教育局")
        expect(unit_row).to_contain_text("已报送，待市级审核")

        city = browser.new_context().new_page()
        _login(city, demo_server, "city_admin")
        review_row = city.locator("#report-tasks tr", has_text="审核单位年度附件2").filter(has_text="桃江县教育局")
        expect(review_row).to_have_count(1)
        review_row.get_by_role("link").click()
        expect(city.locator("#report-title")).to_contain_text("桃江县教育局")
        city.get_by_role("button", name="接收").click()
        expect(city.locator(".sp-message")).to_contain_text("已接收桃江县教育局第 1 版")
        expect(city.locator("#annex2-status tr", has_text="桃江县教育局")).to_contain_text("市级已接收")

        # The reviewer sees the city's answer on the same page.
        reviewer.reload()
        expect(reviewer.locator("#annex2-status tr", has_text="桃江县教育局")).to_contain_text("市级已接收")
        browser.close()


def test_the_unit_certifies_a_declared_demonstration_post_and_the_coverage_fills(demo_server):
    """Issue 12 in a real browser: 申报备案 → 授牌认定 of a 党员示范岗, and the school × subject
    coverage table turns the subject from 已申报待认定 to 已认定."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        _login(page, demo_server, "heshan_reviewer")
        page.goto(f"{demo_server}/inbox/demo-posts/")
        row = page.locator("#demo-posts tr", has_text="物理学科党员示范岗")
        expect(row).to_have_attribute("data-state", "declared")
        physics = page.locator("#coverage tr[data-subject='物理']").first
        expect(physics).not_to_have_attribute("data-status", "certified")

        row.locator("summary", has_text="授牌认定").click()
        row.locator("select[name=decision]").select_option("certify")
        row.locator("textarea[name=note], input[name=note]").fill("课堂开放记录齐全，予以授牌。")
        row.get_by_role("button", name="提交认定").click()

        expect(page.locator(".sp-message")).to_contain_text("已授牌认定：物理学科党员示范岗（杨帆）")
        expect(page.locator("#demo-posts tr", has_text="物理学科党员示范岗")).to_have_attribute(
            "data-state", "certified"
        )
        physics = page.locator("#coverage tr[data-subject='物理']").first
        expect(physics).to_have_attribute("data-status", "certified")
        expect(physics).to_contain_text("杨帆")
        browser.close()
