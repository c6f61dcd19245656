"""Nothing typed is lost (issue #15.1, #15.4), in a real browser (headless chromium).

One test per way work used to be lost on the clerk's form:
- explanations typed in several boxes, then one button pressed: every one is kept;
- leaving the page with changes not yet saved asks first;
- two tabs on the same report: the second save shows both versions, never overwrites silently;
- the form saves itself as the clerk types and says "已保存 HH:MM" (a non-number is kept as typed);
- an earlier revision is restored from 历史版本 (and the restore is itself a revision).
axe finds no serious or critical violation on the form and on the history page.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import ReportRow, WarningExplanation
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.services import drafts
from workflow.services.accounts import cached_hash

CELL = 'input[name="cell.t2.licensing.decisions"]'
OTHER_CELL = 'input[name="cell.t2.normative.repealed"]'
SAVED = re.compile(r"已保存 \d\d:\d\d")
WAIT_MS = 20_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / (
    "docs/screenshots" if os.environ.get("WORKFLOW_SCREENSHOTS") == "1" else "test-artifacts/e2e"
)


@pytest.fixture
def report(db):
    """鲁沙尔镇's 2024 draft with two warnings to explain; returns (report id, original cell value)."""
    with db.sessions() as s:
        home = make_jurisdiction(s, "西宁市湟中区")
        body = make_body(s, "鲁沙尔镇人民政府", code="lushaer", jurisdiction=home)
        season = make_season(s, 2024)
        clerk = make_user(
            s,
            "lushaer",
            body=body,
            display_name="鲁沙尔镇 信息公开专干",
            password_hash=cached_hash("demo1234"),
        )
        s.commit()
        ids = (body.id, season.id, clerk.id)
    content = sample_report(random.Random(7), year=2024, body_name="鲁沙尔镇人民政府")
    content.sections[1].text += "全年主动公开政府信息300余条。"
    content.table("t2").set("normative", "issued", 3)
    assert len(validate(content).warnings) == 2
    with db.sessions() as s:
        rid = drafts.create_report(s, body_id=ids[0], season_id=ids[1], actor_id=ids[2], content=content)
    return rid, str(content.table("t2").value("licensing", "decisions"))


def _context(chromium):
    return chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})


def _sign_in(context, base: str):
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "lushaer")
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _type(page, selector: str, text: str) -> None:
    """As a person types: click into the box (a user gesture), select what is there, type."""
    page.click(selector)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def _draft(db, rid: int) -> Report:
    with db.sessions() as s:
        return Report.from_dict(s.get(ReportRow, rid).draft)


def _serious(page) -> list[str]:
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    return [f"{v['id']}: {v['help']} {[n.get('target') for n in v['nodes']][:5]}" for v in bad]


def test_explanations_typed_in_several_boxes_are_all_kept(live_server, chromium, report, db):
    rid, _ = report
    page = _sign_in(_context(chromium), live_server)
    page.goto(f"{live_server}/reports/{rid}/edit")
    boxes = page.locator("#warnings textarea")
    assert boxes.count() == 2
    boxes.nth(0).fill("第一条：300余条为统计口径所致，已核实。")
    boxes.nth(1).fill("第二条：确属行政规范性文件，已核实。")
    page.locator("#warnings button").first.click()  # one button in the panel
    page.wait_for_load_state()
    page.goto(f"{live_server}/reports/{rid}/edit")
    texts = [page.locator("#warnings textarea").nth(i).input_value() for i in range(2)]
    assert texts == ["第一条：300余条为统计口径所致，已核实。", "第二条：确属行政规范性文件，已核实。"]
    with db.sessions() as s:
        stored = s.scalars(select(WarningExplanation.text).where(WarningExplanation.report_id == rid)).all()
    assert len(stored) == 2


def test_leaving_with_unsaved_changes_asks_first(live_server, chromium, report):
    rid, _ = report
    page = _sign_in(_context(chromium), live_server)
    page.goto(f"{live_server}/reports/{rid}/edit")
    page.route("**/autosave", lambda route: route.abort())  # the network is down: nothing saves
    _type(page, CELL, "23")
    asked: list[str] = []

    def stay(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.once("dialog", stay)
    page.click(f'a[href="/reports/{rid}"]', no_wait_after=True)
    page.wait_for_timeout(300)  # a navigation that was not stopped would be under way by now
    assert asked == ["beforeunload"]
    assert page.url.endswith(f"/reports/{rid}/edit")
    assert page.input_value(CELL) == "23"
    expect(page.locator("#save-status")).to_contain_text("未保存", timeout=WAIT_MS)


def test_two_tabs_get_a_conflict_with_both_versions_never_a_silent_overwrite(
    live_server, chromium, report, db
):
    rid, original = report
    context = _context(chromium)
    first = _sign_in(context, live_server)
    first.goto(f"{live_server}/reports/{rid}/edit")
    second = context.new_page()
    second.goto(f"{live_server}/reports/{rid}/edit")

    _type(first, CELL, "5")
    expect(first.locator("#save-status")).to_have_text(SAVED, timeout=WAIT_MS)
    _type(second, CELL, "7")
    panel = second.locator("#save-conflict")
    expect(panel).to_be_visible(timeout=WAIT_MS)
    expect(second.locator("#save-status")).to_contain_text("未保存")
    row = panel.locator('tr[data-field="cell.t2.licensing.decisions"]')
    assert [c.inner_text() for c in row.locator("td").all()] == ["7", "5"]
    assert "您的内容" in panel.inner_text() and "已保存的内容" in panel.inner_text()
    assert _draft(db, rid).table("t2").value("licensing", "decisions") == 5  # not overwritten
    panel.scroll_into_view_if_needed()
    second.screenshot(path=str(SCREENSHOTS / "clerk-form-conflict.png"))

    second.click("#keep-mine")  # save over, on the newer revision
    expect(second.locator("#save-status")).to_have_text(SAVED, timeout=WAIT_MS)
    assert _draft(db, rid).table("t2").value("licensing", "decisions") == 7

    _type(first, OTHER_CELL, "1")  # the first tab is now behind: it is told, and takes theirs
    expect(first.locator("#save-conflict")).to_be_visible(timeout=WAIT_MS)
    first.click("#take-theirs")
    first.wait_for_load_state()
    expect(first.locator(CELL)).to_have_value("7")
    assert original != "7"


def test_the_form_saves_itself_and_says_when(live_server, chromium, report, db):
    rid, _ = report
    context = _context(chromium)
    page = _sign_in(context, live_server)
    page.goto(f"{live_server}/reports/{rid}/edit")
    _type(page, CELL, "十二")  # not a number: kept as typed, marked
    _type(page, 'textarea[name="section.5.text"]', "本年度存在的问题：培训不足。")
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=WAIT_MS)
    expect(page.locator(CELL)).to_have_attribute("aria-invalid", "true")
    assert _draft(db, rid).table("t2").cell("licensing", "decisions").raw == "十二"
    assert _serious(page) == []
    again = context.new_page()
    again.goto(f"{live_server}/reports/{rid}/edit")
    assert again.input_value(CELL) == "十二"
    assert again.input_value('textarea[name="section.5.text"]') == "本年度存在的问题：培训不足。"


def test_a_revision_is_restored_from_the_history(live_server, chromium, report, db):
    rid, original = report
    page = _sign_in(_context(chromium), live_server)
    page.goto(f"{live_server}/reports/{rid}/edit")
    before = int(page.locator('#report-form input[name="revision"]').input_value())
    _type(page, CELL, "41")
    expect(page.locator("#save-status")).to_have_text(SAVED, timeout=WAIT_MS)
    page.click("text=历史版本")
    page.wait_for_url(re.compile(r"/history$"))
    assert "自动保存" in page.inner_text("table") and "改了 1 个单元格（表二）" in page.inner_text("table")
    assert _serious(page) == []
    page.screenshot(path=str(SCREENSHOTS / "clerk-history.png"))
    page.locator(f"#revision-{before} button").click()  # 恢复此版本
    page.wait_for_url(re.compile(r"/edit$"))
    assert "已恢复" in page.inner_text("main")
    assert page.input_value(CELL) == original
    assert _draft(db, rid).table("t2").value("licensing", "decisions") == int(original)
    page.goto(f"{live_server}/reports/{rid}/history")
    assert "恢复到第" in page.inner_text("table")  # the restore is a revision too: undoable
