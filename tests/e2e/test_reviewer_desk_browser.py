"""The reviewer's desk in a real browser (headless chromium), with axe on the reviewer's pages.

湟中区's reviewer finds 鲁沙尔镇's 2024 report in the queue (search, filters, sort, overdue marks),
reads all of it beside the 2023 report, comments on one cell of 表二 (picked by clicking it) and
returns it; the clerk sees the comment in that cell; the clerk changes the figure and resubmits; the
reviewer sees the cell marked against version 1, marks the comment resolved and returns once more;
the clerk sees it resolved at the cell.  Bulk approval lists the picked reports and changes nothing
until confirmed.  Screenshots of the queue and the report page go to docs/screenshots/.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web.desk_support import ANCHOR, approve_all_stages, reports_for, submit_clean, with_cell
from workflow.clock import FixedClock, now, set_clock
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import Extension, ReportRow, ReviewComment
from workflow.services import drafts
from workflow.services.accounts import cached_hash

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
# WORKFLOW_SCREENSHOTS=1 refreshes the README's screenshots; otherwise they go with the test artifacts.
SCREENSHOTS = ROOT / (
    "docs/screenshots" if os.environ.get("WORKFLOW_SCREENSHOTS") == "1" else "test-artifacts/e2e"
)
VIEWPORT = {"width": 1366, "height": 768}


@pytest.fixture
def clock():
    """6 February 2025, 10:00: 鲁沙尔镇's 2024 report is six days past its 31 January deadline."""
    c = FixedClock(datetime(2025, 2, 6, 10, 0))
    set_clock(c)
    yield c
    set_clock(None)


@pytest.fixture
def desk(db, clock):
    """鲁沙尔镇: its 2023 report approved, its 2024 report in review; 多巴镇: 2024 in review, extended."""
    with db.sessions() as s:
        home = make_jurisdiction(s, "西宁市湟中区")
        ours = make_body(s, "鲁沙尔镇人民政府", code="lushaer", jurisdiction=home)
        other = make_body(s, "多巴镇人民政府", code="duoba", jurisdiction=home)
        last_season, season = make_season(s, 2023), make_season(s, 2024)
        pw = cached_hash("demo1234")
        clerk = make_user(s, "lushaer", body=ours, display_name="鲁沙尔镇 信息公开专干", password_hash=pw)
        other_clerk = make_user(s, "duoba", body=other, password_hash=pw)
        reviewer = make_user(
            s,
            "reviewer",
            role="reviewer",
            jurisdiction=home,
            display_name="区政务公开办 审核员",
            password_hash=pw,
        )
        s.add(
            Extension(
                season_id=season.id,
                body_id=other.id,
                new_due_date=now().date() + timedelta(days=30),
                reason="延期",
            )
        )
        s.commit()
        ids = {"clerk": clerk.id, "other_clerk": other_clerk.id, "reviewer": reviewer.id}
        last_id, rid, other_id = (
            drafts.create_report(s, body_id=b, season_id=se, actor_id=None, content=None)
            for b, se in ((ours.id, last_season.id), (ours.id, season.id), (other.id, season.id))
        )
    ours_last, ours_this = reports_for("鲁沙尔镇人民政府")
    clock.set(datetime(2024, 1, 22, 15, 0))
    submit_clean(db.sessions, last_id, ids["clerk"], ours_last)
    approve_all_stages(db.sessions, last_id, ids["reviewer"])
    clock.set(datetime(2025, 2, 5, 16, 30))
    submit_clean(db.sessions, rid, ids["clerk"], ours_this)
    clock.set(datetime(2025, 2, 6, 9, 10))
    submit_clean(db.sessions, other_id, ids["other_clerk"], reports_for("多巴镇人民政府")[1])
    clock.set(datetime(2025, 2, 6, 10, 0))
    return {"rid": rid, "other_id": other_id, "clerk": ids["clerk"], "this": ours_this}


def sign_in(browser, base: str, username: str):
    page = browser.new_context(locale="zh-CN", viewport=VIEWPORT).new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def no_serious_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}" for v in bad
    )


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height + 1


def queue_names(page) -> list[str]:
    return page.locator("#queue tbody td:nth-child(2) a").all_inner_texts()


def flash(page) -> str:
    return page.inner_text(".flash")


def test_the_reviewers_desk(live_server, chromium, desk, db, clock):
    base, rid = live_server, desk["rid"]
    cell = f'td[data-cell="{ANCHOR}"]'
    reviewer = sign_in(chromium, base, "reviewer")

    # The queue: overdue marked, searchable, filterable, sortable.
    reviewer.goto(f"{base}/review")
    assert sorted(queue_names(reviewer)) == ["多巴镇人民政府", "鲁沙尔镇人民政府"]
    assert reviewer.locator("tr.overdue").count() == 1  # 多巴镇 has an extension
    assert "已逾期 6 天" in reviewer.inner_text(f'tr[data-report="{rid}"]')
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    reviewer.screenshot(path=str(SCREENSHOTS / "reviewer-queue.png"))
    no_serious_violations(reviewer)
    reviewer.fill("input[name=q]", "多巴")
    reviewer.click("#queue-apply")
    reviewer.wait_for_load_state()
    assert queue_names(reviewer) == ["多巴镇人民政府"]
    reviewer.goto(f"{base}/review")
    reviewer.check("input[name=overdue]")
    reviewer.select_option("select[name=sort]", "body")
    reviewer.click("#queue-apply")
    reviewer.wait_for_load_state()
    assert queue_names(reviewer) == ["鲁沙尔镇人民政府"]
    reviewer.goto(f"{base}/review?sort=body")
    assert queue_names(reviewer)[0] == "多巴镇人民政府"
    reviewer.goto(f"{base}/review?sort=due")
    assert queue_names(reviewer)[-1] == "多巴镇人民政府"  # the extended deadline comes last

    # The report: every part, beside the 2023 report, the decision bar always in view.
    reviewer.goto(f"{base}/review/{rid}")
    reviewer.screenshot(path=str(SCREENSHOTS / "reviewer-report.png"))
    content = desk["this"]
    assert reviewer.get_attribute("#compare-year", "aria-current") == "page"
    assert reviewer.locator("td.cell.changed").count() > 0  # figures differ from 2023
    for piece in ("#report-header", "#preamble", "#report-signature", "#section-6"):
        reviewer.locator(piece).scroll_into_view_if_needed()
        assert reviewer.locator(piece).is_visible()
    assert content.header.title in reviewer.inner_text("#report-header")
    assert content.header.signature in reviewer.inner_text("#report-signature")
    assert in_view(reviewer, "#decision-bar")
    no_serious_violations(reviewer)
    reviewer.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    assert in_view(reviewer, "#decision-bar") and in_view(reviewer, "#return")
    reviewer.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    assert in_view(reviewer, "#decision-bar")

    # A comment on one cell, picked by clicking it; returned.
    reviewer.locator(cell).click()
    slot = reviewer.locator("#section-2 .cell-slot").last
    assert slot.locator("select").input_value() == ANCHOR
    slot.locator("textarea").fill("本年处理决定数与办件系统不符，请核对。")
    reviewer.click("#return")
    reviewer.wait_for_url(re.compile(r"/review$"))
    assert "已退回" in flash(reviewer) and not re.search(r"[a-z_]{4,}", flash(reviewer))

    # The clerk sees it in that cell, highlighted as open.
    clerk = sign_in(chromium, base, "lushaer")
    clerk.goto(f"{base}/reports/{rid}/edit")
    note = clerk.locator(f"{cell} .review-note")
    assert note.is_visible() and "请核对" in note.inner_text() and "待处理" in note.inner_text()
    assert "has-open-note" in (clerk.get_attribute(cell, "class") or "")
    clerk.goto(f"{base}/reports/{rid}")
    assert clerk.locator(f"{cell} .review-note.open").is_visible()

    # Changed and resubmitted: the reviewer sees the cell marked against version 1, the comment there.
    clock.advance(minutes=20)
    submit_clean(db.sessions, rid, desk["clerk"], with_cell(content, 3))
    reviewer.goto(f"{base}/review/{rid}")
    assert reviewer.get_attribute("#compare-prev", "aria-current") == "page"
    assert reviewer.inner_text("#changed-cells") == "1"
    assert "changed" in (reviewer.get_attribute(cell, "class") or "")
    assert "原为" in reviewer.inner_text(cell)
    kept = reviewer.locator(f"{cell} .review-note.open")
    assert kept.is_visible()
    kept.scroll_into_view_if_needed()
    reviewer.screenshot(path=str(ROOT / "test-artifacts" / "e2e" / "reviewer-cell-comment.png"))
    kept.locator("input[name=resolve]").check()
    reviewer.fill("textarea[name='comment.general']", "表二已改正；请再核对第五部分。")
    reviewer.click("#return")
    reviewer.wait_for_url(re.compile(r"/review$"))
    with db.sessions() as s:
        assert s.scalar(select(ReviewComment.resolved_at).where(ReviewComment.table_id == "t2")) is not None

    # The clerk sees it resolved at the cell, and the new comment open.
    clerk.goto(f"{base}/reports/{rid}/edit")
    assert clerk.locator(f"{cell} .review-note.resolved").is_visible()
    assert "已解决" in clerk.inner_text(f"{cell} .review-note")
    assert "has-open-note" not in (clerk.get_attribute(cell, "class") or "")
    assert "请再核对第五部分" in clerk.inner_text("#review-notes .review-note.open")

    # Bulk approval: a confirmation page first, nothing changes until confirmed.
    reviewer.goto(f"{base}/review")
    reviewer.check(f'tr[data-report="{desk["other_id"]}"] input[name=pick]')
    reviewer.click("#bulk-approve")
    reviewer.wait_for_load_state()
    assert "确认批量通过" in reviewer.inner_text("h1")
    assert "多巴镇人民政府" in reviewer.inner_text("#bulk-list")
    no_serious_violations(reviewer)
    with db.sessions() as s:
        assert s.get(ReportRow, desk["other_id"]).review_stage == 0
    reviewer.click("#bulk-confirm-button")
    reviewer.wait_for_url(re.compile(r"/review$"))
    assert flash(reviewer) == "已通过 1 份报告。"
    with db.sessions() as s:
        assert s.get(ReportRow, desk["other_id"]).review_stage == 1
