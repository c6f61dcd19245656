"""The whole season for one township, in a real browser (headless chromium).

鲁沙尔镇's clerk signs in, uploads lushaer_2024.txt, sees the errors at the right cells, fixes them in
the form, explains the warnings and submits; the reviewer returns it with a comment on section 五;
the clerk fixes and resubmits; the reviewer approves; the report appears on the public page.
Screenshots of each step go to test-artifacts/e2e/.
"""

from __future__ import annotations

import re

import pytest

from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.services.accounts import cached_hash

LUSHAER = "/work/shared/corpus/lushaer_2024.txt"
pytestmark = pytest.mark.slow


@pytest.fixture
def district(db):
    with db.sessions() as s:
        home = make_jurisdiction(s, "西宁市湟中区")
        body = make_body(s, "鲁沙尔镇人民政府", code="lushaer", jurisdiction=home)
        make_season(s, 2024)
        pw = cached_hash("demo1234")  # the password the story signs in with
        make_user(s, "lushaer", body=body, display_name="鲁沙尔镇 信息公开专干", password_hash=pw)
        make_user(
            s,
            "reviewer",
            role="reviewer",
            jurisdiction=home,
            display_name="区政务公开办 审核员",
            password_hash=pw,
        )
        s.commit()
        return body.id


def sign_in(browser, base: str, username: str):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def cell(page, key: str):
    return page.locator(f'td[data-cell="{key}"]')


def save(page) -> None:
    page.click("#save-draft")
    page.wait_for_load_state()


def errors_on(page) -> int:
    return int(page.inner_text("#count-error"))


def test_the_season_of_one_township(live_server, chromium, shots, district, db):
    base = live_server
    clerk = sign_in(chromium, base, "lushaer")
    assert clerk.url.endswith("/reports")
    shots(clerk, "01-clerk-signed-in")
    clerk.click("text=开始填报 2024 年度报告")
    clerk.wait_for_url(re.compile(r"/reports/\d+/edit$"))
    report_url = clerk.url.removesuffix("/edit")
    report_id = int(report_url.rsplit("/", 1)[1])

    # Upload the township's text and see the errors where they are.
    clerk.set_input_files("#import-form input[name=file]", LUSHAER)
    clerk.click("#import-upload")  # the preview first (issue #15.2), then 确认导入
    clerk.wait_for_url(re.compile(r"/import\?p="))
    clerk.click("#confirm-import")
    clerk.wait_for_load_state()
    assert "已从“lushaer_2024.txt”导入" in clerk.content()
    blank = cell(clerk, "t4.review.upheld")
    assert "has-error" in blank.get_attribute("class") and "A1" in blank.inner_text()
    assert "2019年试行版格式" in clerk.content()  # A5: a 2024 report in the 2019 format
    assert errors_on(clerk) > 0
    shots(clerk, "02-imported-errors-at-cells")

    # Fix: the 2021 format, the missing rows and cells, the missing title, the fee statement.
    clerk.select_option("#format-target", "2021")  # the switch is previewed, then confirmed (#15.2)
    clerk.click("#switch-format")
    clerk.wait_for_url(re.compile(r"/import\?p="))
    clerk.click("#confirm-import")
    clerk.wait_for_load_state()
    assert clerk.locator('input[name="cell.t3.o3.total"]').count() == 1  # 2021 rows now
    clerk.evaluate(
        """() => document.querySelectorAll('table.report-table td.cell input').forEach(i => {
               if (i.value.trim() === '') i.value = '0'; })"""
    )
    clerk.fill('input[name="header.title"]', "鲁沙尔镇人民政府2024年政府信息公开工作年度报告")
    clerk.fill(
        'input[name="header.period_text"]', "本报告中所列数据的统计期限自2024年1月1日起至2024年12月31日止。"
    )
    clerk.fill('input[name="section.3.title"]', "三、收到和处理政府信息公开申请情况")
    six = clerk.locator('textarea[name="section.6.text"]')
    six.fill("本年度未发出收费通知，未收取信息处理费，收费金额为0元。\n暂无其它需要报告的事项。")
    save(clerk)
    findings = clerk.inner_text("#all-findings")
    assert errors_on(clerk) == 0, findings
    shots(clerk, "03-errors-fixed")

    # Explain every warning.
    boxes = clerk.locator("#warnings .explain textarea")  # one panel, one button (issue #15.4)
    for i in range(boxes.count()):
        boxes.nth(i).fill("已核实：情况属实，特此说明。")
    clerk.click("#save-explanations")
    clerk.wait_for_load_state()
    assert clerk.locator(".explain").count() == clerk.locator(".explain .badge.notice").count()
    shots(clerk, "04-warnings-explained")

    clerk.click("#submit-report")
    clerk.wait_for_url(report_url)
    assert clerk.inner_text("#report-state") == "审核中"
    shots(clerk, "05-submitted-in-review")

    # The reviewer returns it with a comment on section 五.
    reviewer = sign_in(chromium, base, "reviewer")
    assert "鲁沙尔镇人民政府" in reviewer.inner_text("#queue")
    reviewer.click("#queue >> text=鲁沙尔镇人民政府")
    reviewer.fill('textarea[name="comment.5"]', "第五部分请写明上一年度报告所提问题的整改情况。")
    reviewer.click(".decision-reasons summary")  # the return reasons fold away in the decision bar
    reviewer.check('input[name=reason][value="text"]')
    shots(reviewer, "06-reviewer-comment")
    reviewer.click("#return")
    reviewer.wait_for_url(re.compile(r"/review$"))

    # The clerk reads the comment, fixes section 五 and resubmits.
    clerk.goto(report_url)
    comment = clerk.locator(".review-note.open", has_text="整改情况")  # shown in section 五, still open
    assert comment.count() >= 1 and "第五部分" in comment.first.inner_text()
    assert clerk.inner_text("#report-state") == "已退回"
    shots(clerk, "07-returned-with-comment")
    clerk.click("#edit-link")
    five = clerk.locator('textarea[name="section.5.text"]')
    five.fill(
        five.input_value() + "\n（三）上年度问题整改情况\n针对上年度培训不足的问题，2024年组织专题培训两次。"
    )
    save(clerk)
    unexplained = clerk.locator(".explain:not(:has(.badge.notice)) textarea")
    if unexplained.count():
        for i in range(unexplained.count()):
            unexplained.nth(i).fill("已核实。")
        clerk.click("#save-explanations")
        clerk.wait_for_load_state()
    clerk.click("#submit-report")
    clerk.wait_for_url(report_url)
    assert clerk.inner_text("#report-state") == "审核中"
    shots(clerk, "08-resubmitted")

    # The reviewer sees what changed and approves (two stages: the body's head, then the office).
    reviewer.goto(f"{base}/review/{report_id}")
    assert "与上一次提交的版本相比" in reviewer.content()
    assert "组织专题培训两次" in reviewer.inner_text(".diff")
    shots(reviewer, "09-reviewer-diff")
    for _ in range(2):
        reviewer.goto(f"{base}/review/{report_id}")
        reviewer.click("#approve")
        reviewer.wait_for_url(re.compile(r"/review$"))
    clerk.goto(report_url)
    state = clerk.inner_text("#report-state")
    assert state == "已公开", state
    shots(clerk, "10-published")

    # The public page, no login.
    public = chromium.new_context(locale="zh-CN").new_page()
    public.goto(f"{base}/public/reports/{report_id}/")
    assert "鲁沙尔镇人民政府" in public.content()
    shots(public, "11-public-page")
