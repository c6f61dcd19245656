"""The clerk's form at a laptop's size (1366×768), in a real browser (issue #15.3, #15.8).

A finding in the list takes the clerk to its cell (scrolled into view, highlighted, cursor in it);
cells in error carry their message beside them; typing updates the totals and marks a sum that does
not add up with the server's own words; "空白格填 0" fills a table's blanks; Enter moves down a
column; the form fits the screen without sideways scrolling; while the workers check a submitted
report the status page says 检查中… and shows the result by itself.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import ReportRow
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.services import drafts, outbox, submission
from workflow.services.accounts import cached_hash

pytestmark = pytest.mark.slow
LAPTOP = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / (
    "docs/screenshots" if os.environ.get("WORKFLOW_SCREENSHOTS") == "1" else "test-artifacts/e2e"
)


@pytest.fixture
def township(db):
    """鲁沙尔镇's clerk with a 2024 draft: a clean sample report with a few mistakes."""
    with db.sessions() as s:
        home = make_jurisdiction(s, "西宁市湟中区")
        body = make_body(s, "鲁沙尔镇人民政府", code="lushaer", jurisdiction=home)
        season = make_season(s, 2024)
        user = make_user(s, "lushaer", body=body, password_hash=cached_hash("demo1234"))
        s.commit()
        ids = {"body": body.id, "season": season.id, "user": user.id}
    with db.sessions() as s:
        ids["report"] = drafts.create_report(
            s, body_id=ids["body"], season_id=ids["season"], actor_id=None, content=None
        )
    return ids


def _report():
    return sample_report(random.Random(7), year=2024, body_name="鲁沙尔镇人民政府")


def _save(db, report_id: int, content) -> None:
    with db.sessions() as s:
        rev = s.get(ReportRow, report_id).draft_revision
        drafts.save_draft(s, report_id=report_id, content=content, expected_revision=rev, actor_id=None)


def _sign_in(chromium, base: str):
    context = chromium.new_context(locale="zh-CN", viewport=LAPTOP)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "lushaer")
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _serious(results) -> list:
    return [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def test_findings_at_the_cell_sums_fill_and_keyboard(live_server, chromium, shots, township, db):
    report = _report()
    t3 = report.table("t3")
    t3.set("granted", "natural", None)  # a blank cell: A1 at the cell
    report.table("t4").set("direct", "upheld", None)
    _save(db, township["report"], report)
    page = _sign_in(chromium, live_server)
    page.goto(f"{live_server}/reports/{township['report']}/edit")

    # The form fits the laptop: no sideways scrolling of the page; the contents stay in view.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    toc = page.locator("#form-toc")
    assert toc.is_visible() and toc.locator("a").count() >= 8
    assert (
        "三、收到和处理政府信息公开申请情况" in toc.inner_text()
        or toc.locator("[data-toc-section='3']").count()
    )
    results = Axe().run(page)
    assert not _serious(results), _serious(results)
    shots(page, "form-cells-01-laptop")

    # The finding in the list takes the clerk to its cell: scrolled into view, highlighted, focused.
    cell = page.locator("#cell-t3-granted-natural")
    assert "has-error" in cell.get_attribute("class")
    described = cell.locator("input").get_attribute("aria-describedby")
    assert "cell-t3-granted-natural-msg" in described
    assert "没有数据请填 0" in page.locator("#cell-t3-granted-natural-msg").inner_text()
    page.locator('#all-findings a[href="#cell-t3-granted-natural"]').first.click()
    assert page.evaluate(
        "(() => { const r = document.getElementById('cell-t3-granted-natural').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; })()"
    )
    assert "flash-target" in cell.get_attribute("class")
    assert page.evaluate("document.activeElement.name") == "cell.t3.granted.natural"
    # A finding on a folded section opens it first.
    page.locator("#section-4 summary").click()
    assert not page.locator("#section-4 details").evaluate("d => d.open")
    page.locator('#all-findings a[href="#cell-t4-direct-upheld"]').first.click()
    assert page.locator("#section-4 details").evaluate("d => d.open")
    assert page.locator("#cell-t4-direct-upheld").is_visible()

    # Typing updates the totals; a sum that does not add up is marked with the server's words.
    new_total = page.locator("#cell-t3-new-total")
    natural = page.locator('input[name="cell.t3.new.natural"]')
    before = int(natural.input_value())
    natural.fill(str(before + 3))
    live = page.locator("#cell-t3-new-total-live")
    assert "has-live-error" in new_total.get_attribute("class")
    report.table("t3").set("new", "natural", before + 3)
    server = [f.message for f in validate(report).findings if f.rule == "B1" and f.where.row == "new"]
    assert server and server[0] in live.inner_text()
    natural.fill(str(before))
    assert "has-live-error" not in new_total.get_attribute("class")
    assert live.inner_text() == ""  # a correct total needs no repeating
    total_box = page.locator('input[name="cell.t3.new.total"]')
    typed_total = total_box.input_value()
    total_box.fill("")  # an empty total shows what the parts add up to
    assert live.inner_text() == f"合计 {typed_total}"
    assert total_box.get_attribute("placeholder") == typed_total
    total_box.fill(typed_total)
    shots(page, "form-cells-02-sums")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # the laptop screen as the clerk sees it
    page.locator("#cell-t3-granted-natural").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "clerk-form-cells.png"), full_page=False)

    # Keyboard entry down a column: Enter goes to the next row, same column; the form is not posted.
    first = page.locator('input[name="cell.t3.new.commercial"]')
    first.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "cell.t3.carried.commercial"
    page.keyboard.type("0")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "cell.t3.granted.commercial"
    assert page.url.split("#")[0].endswith("/edit")  # not posted

    # "空白格填 0" fills the table's empty cells (and only those).
    blank = page.locator('input[name="cell.t3.granted.natural"]')
    assert blank.input_value() == ""
    page.locator('button.fill-zero[data-table="t3"]').click()
    assert blank.input_value() == "0"
    assert page.locator('input[name="cell.t4.direct.upheld"]').input_value() == ""  # 表四 untouched
    assert "已将 1 个空白格填为 0" in page.locator(".fill-note").first.inner_text()
    page.locator('button.fill-zero[data-table="t4"]').click()
    assert page.locator('input[name="cell.t4.direct.upheld"]').input_value() == "0"
    shots(page, "form-cells-03-filled")


class Deferred:
    """Holds the follow-up work back, as a busy worker would, until the test lets it run."""

    def __init__(self) -> None:
        self.held: list[tuple[str, dict]] = []

    def send(self, task_name: str, kwargs: dict) -> None:
        self.held.append((task_name, kwargs))


def test_the_page_shows_checking_and_updates_by_itself(live_server, chromium, township, db):
    report = _report()
    _save(db, township["report"], report)
    deferred = Deferred()
    inline = outbox.set_dispatcher(deferred)
    try:
        with db.sessions() as s:
            for f in validate(report).warnings:
                drafts.explain_warning(
                    s, report_id=township["report"], finding_key=f.key, text="已核实。", actor_id=None
                )
            submission.submit(s, report_id=township["report"], actor_id=township["user"])
        page = _sign_in(chromium, live_server)
        page.goto(f"{live_server}/reports/{township['report']}")
        assert page.locator("#check-progress").is_visible()
        assert "检查中…" in page.locator("#check-status").inner_text()
        assert not page.locator("#check-counts").is_visible()
        results = Axe().run(page)
        assert not _serious(results), _serious(results)
        # The workers finish: the page shows the result without the clerk reloading it.
        for task, kwargs in deferred.held:
            inline.send(task, kwargs)
        page.locator("#check-counts").wait_for(state="visible", timeout=15000)
        assert not page.locator("#check-progress").is_visible()
        text = page.locator("#check-status").inner_text()
        assert "第 1 版（已提交）的校验结果" in text and re.search(r"错误 0 处", text)
    finally:
        outbox.set_dispatcher(inline)
