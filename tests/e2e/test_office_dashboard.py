"""The district office's dashboard, reminders and holiday editor in a real browser (headless chromium).

Season 2026 is due on 2027-01-31; the clock stands at 2027-02-05 09:00.  鲁沙尔镇 was approved and
published on 2027-02-03 (late), 多巴镇 submitted at 08:00 and its check's message was lost (stuck),
上新庄镇 has a draft and was reminded by e-mail on 2027-01-26.  The administrator sees 已公开 and
逾期公开 on the first, presses 重试 on the second (the check runs, the flag goes), reads the reminder in
words, and saves a Chinese date range in the holiday editor after a typo, without retyping.  axe finds
no serious or critical violation on the three pages; docs/screenshots/office-dashboard.png is written.
"""

from __future__ import annotations

import os
import random
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from workflow.clock import SHANGHAI, FixedClock, set_clock
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import ReminderSent, ReportRow
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.services import drafts, outbox, review, submission
from workflow.services.accounts import cached_hash

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = (
    ROOT
    / ("docs/screenshots" if os.environ.get("WORKFLOW_SCREENSHOTS") == "1" else "test-artifacts/e2e")
    / "office-dashboard.png"
)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 2, day, hour, minute, tzinfo=SHANGHAI)


def _submit(s, report_id: int, clerk_id: int, name: str) -> int:
    content = sample_report(random.Random(11), year=2026, body_name=name)
    rev = s.get(ReportRow, report_id).draft_revision
    drafts.save_draft(s, report_id=report_id, content=content, expected_revision=rev, actor_id=clerk_id)
    for f in validate(content).warnings:
        drafts.explain_warning(s, report_id=report_id, finding_key=f.key, text="已核实。", actor_id=clerk_id)
    return submission.submit(s, report_id=report_id, actor_id=clerk_id)


@pytest.fixture
def clock():
    c = FixedClock(_at(3, 9))
    set_clock(c)
    yield c
    set_clock(None)


@pytest.fixture
def district(live_server, db, clock, tmp_path, monkeypatch):
    """The three bodies, built through the services (checks and publication run inline)."""
    monkeypatch.setenv("WORKFLOW_HOLIDAYS_FILE", str(tmp_path / "holidays.toml"))
    pw = cached_hash("demo1234")
    with db.sessions() as s:
        home = make_jurisdiction(s, "西宁市湟中区")
        season = make_season(s, 2026)
        names = {
            "lushaer": "鲁沙尔镇人民政府",
            "duoba": "多巴镇人民政府",
            "shangxinzhuang": "上新庄镇人民政府",
        }
        bodies = {code: make_body(s, name, code=code, jurisdiction=home) for code, name in names.items()}
        clerks = {code: make_user(s, code, body=b, password_hash=pw).id for code, b in bodies.items()}
        reviewer = make_user(s, "reviewer", role="reviewer", jurisdiction=home, password_hash=pw).id
        make_user(s, "admin", role="admin", password_hash=pw)
        ids = {code: b.id for code, b in bodies.items()}
        s.commit()
    with db.sessions() as s:
        reports = {
            code: drafts.create_report(s, body_id=ids[code], season_id=season.id, actor_id=None, content=None)
            for code in names
        }
        _submit(s, reports["lushaer"], clerks["lushaer"], names["lushaer"])  # checked inline
        for _ in range(2):  # approved twice: published inline on 2027-02-03, three days late
            review.decide(
                s, report_id=reports["lushaer"], reviewer_id=reviewer, decision="approve", expected_version=1
            )
        clock.set(_at(5, 8))
        inline = outbox.set_dispatcher(outbox.RecordingDispatcher())  # the check's message is lost
        try:
            _submit(s, reports["duoba"], clerks["duoba"], names["duoba"])
        finally:
            outbox.set_dispatcher(inline)
        s.add(
            ReminderSent(
                season_id=season.id,
                body_id=ids["shangxinzhuang"],
                reminder="deadline.body@2027-01-31",
                step="-3",
                channel="email",
                status="sent",
                attempts=1,
                sent_at=datetime(2027, 1, 26, 9, 0, tzinfo=SHANGHAI),
                payload={},
            )
        )
        s.commit()
        assert s.get(ReportRow, reports["lushaer"]).state == "published"
    clock.set(_at(5, 9))  # 多巴镇 has waited an hour for its check
    return reports


def _sign_in(chromium, base: str):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _no_serious_violations(page, what: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    detail = [(v["id"], v["impact"], [n["html"][:120] for n in v["nodes"][:3]]) for v in bad]
    assert not bad, f"{what}: {detail}"


def test_the_office_sees_the_truth_retries_stuck_work_and_types_dates_as_it_writes_them(
    live_server, chromium, district, db
):
    page = _sign_in(chromium, live_server)
    page.goto(f"{live_server}/admin?year=2026")

    lushaer = page.locator('#status-table tr[data-body="lushaer"]')
    assert "已公开" in lushaer.inner_text() and "逾期公开" in lushaer.inner_text()
    assert page.locator('#counts td[data-status="published"]').inner_text() == "1"
    assert page.locator('#flag-counts td[data-flag="published_late"]').inner_text() == "1"
    states = page.locator("#counts td[data-status]:not([data-status=all])").all_inner_texts()
    assert sum(int(n) for n in states) == 3  # one state per body

    reminder = page.locator('#status-table tr[data-body="shangxinzhuang"] td.reminder').inner_text()
    assert reminder == "截止前 3 个工作日 · 已发送 2027-01-26 09:00 · 邮件"

    stuck = page.locator('#stuck tr[data-body="duoba"]')
    assert "检查未完成" in stuck.inner_text()
    assert "检查未完成" in page.locator('#status-table tr[data-body="duoba"]').inner_text()
    _no_serious_violations(page, "/admin")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    stuck.get_by_role("button", name="重试").click()  # the check runs inline, as a worker would
    page.wait_for_load_state()
    assert "已重新安排检查多巴镇人民政府的报告" in page.locator(".flash").first.inner_text()
    assert page.locator("#stuck").count() == 0
    with db.sessions() as s:
        state = s.scalar(select(ReportRow.state).where(ReportRow.id == district["duoba"]))
    assert state in ("in_review", "needs_fixes")  # checked at last
    assert "审核中" in page.locator('#status-table tr[data-body="duoba"]').inner_text()

    page.goto(f"{live_server}/admin/reminders?as_of=2027-01-27")
    assert "deadline" not in page.content()
    _no_serious_violations(page, "/admin/reminders")

    page.goto(f"{live_server}/admin/holidays")
    page.fill("input[name=year]", "2027")
    page.fill("#holiday-dates", "春节：2027年2月6日至2月12日\n2027年2月30日 元宵")
    page.fill("#workday-dates", "2月20日")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    error = page.locator("#holiday-error").inner_text()
    assert "节假日第 2 行" in error and "没有这一天" in error
    assert page.input_value("#holiday-dates") == "春节：2027年2月6日至2月12日\n2027年2月30日 元宵"  # kept
    assert page.input_value("#workday-dates") == "2月20日" and page.input_value("input[name=year]") == "2027"
    _no_serious_violations(page, "/admin/holidays (error)")
    page.fill("#holiday-dates", "春节：2027年2月6日至2月12日\n2月24日 元宵")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert "节假日 8 天，调休上班日 1 天" in page.locator(".flash").first.inner_text()
    saved = page.locator("#year-2027").inner_text()
    assert all(f"2027-02-{d:02d} 春节" in saved for d in range(6, 13))
    _no_serious_violations(page, "/admin/holidays")
    for url in ("/admin/seasons", "/admin/bodies"):
        page.goto(f"{live_server}{url}")
        assert "body_head" not in page.content() and "辖区 1" not in page.content()
        _no_serious_violations(page, url)
