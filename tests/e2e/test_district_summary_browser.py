"""The district summary in a real browser (issue #16.3 and the last sentence of #16.4).

The office page shows the summed tables, the chart and the outliers, whose links open the reports;
the dashboard carries the chart; the public summary page on a 375 px phone scrolls its tables inside
their boxes, never the page.  axe: no serious or critical violation.  Writes
docs/screenshots/office-summary.png (1366×768).
"""

from __future__ import annotations

import copy
import os
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import Publication, ReportRow, ReportVersion
from workflow.domain.samples import sample_report
from workflow.services.accounts import cached_hash

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / (
    "docs/screenshots" if os.environ.get("WORKFLOW_SCREENSHOTS") == "1" else "test-artifacts/e2e"
)
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
NAMES = [
    "鲁沙尔镇人民政府",
    "多巴镇人民政府",
    "上新庄镇人民政府",
    "田家寨镇人民政府",
    "甘河滩镇人民政府",
    "共和镇人民政府",
    "西堡镇人民政府",
    "康川街道办事处",
    "西宁市湟中区教育局",
    "西宁市湟中区民政局",
    "西宁市湟中区财政局",
    "西宁市湟中区卫生健康局",
]


def _store(s, body, season, content, *, published: bool) -> int:
    content.header.body_name = body.name
    row = ReportRow(
        body_id=body.id,
        season_id=season.id,
        state="published" if published else "approved",
        draft=content.to_dict(),
        latest_version=1,
    )
    s.add(row)
    s.flush()
    version = ReportVersion(
        report_id=row.id, number=1, content=content.to_dict(), content_hash=content.content_hash()
    )
    s.add(version)
    s.flush()
    if published:
        at = datetime(season.report_year + 1, 1, 20, 2, 0, tzinfo=UTC)
        s.add(Publication(report_id=row.id, version_id=version.id, published_at=at, first_published_at=at))
    return row.id


@pytest.fixture
def district(db):
    """12 bodies: 2025 published, 2026 approved; 多巴镇's 2026 tables copy 鲁沙尔镇's."""
    rng = random.Random(2026)
    with db.sessions() as s:
        home = make_jurisdiction(s, "西宁市湟中区")
        s2025, s2026 = make_season(s, 2025), make_season(s, 2026)
        bodies = [make_body(s, n, code=f"b{i}", jurisdiction=home) for i, n in enumerate(NAMES)]
        ids = {}
        copied_from = sample_report(rng, year=2026)  # replaced by 鲁沙尔镇's (the first body)
        for body in bodies:
            last = sample_report(rng, year=2025, body_name=body.name)
            _store(s, body, s2025, last, published=True)
            this = sample_report(rng, year=2026, body_name=body.name, previous=last)
            if body.name == "多巴镇人民政府":
                this.tables = copy.deepcopy(copied_from.tables)
            if body.name == "鲁沙尔镇人民政府":
                copied_from = this
            ids[body.name] = _store(s, body, s2026, this, published=False)
        make_user(
            s, "admin", role="admin", password_hash=cached_hash("demo1234"), display_name="区政务公开办"
        )
        s.commit()
        return ids


def _sign_in(browser, base: str, username: str, viewport: dict[str, int]):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo1234")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _no_serious(page) -> None:
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def test_office_and_public_summary(district, live_server, chromium) -> None:
    page = _sign_in(chromium, live_server, "admin", {"width": 1366, "height": 768})
    page.goto(f"{live_server}/admin/summary?year=2026")
    assert page.locator("#counted").inner_text() == "12"
    # the tables: 表三's new requests, summed; last year beside
    new_total = page.locator('#sum-table-t3 tr[data-row="new"] td[data-col="total"]').inner_text()
    assert int(new_total) >= 0
    assert page.locator("#sum-table-t3 thead").inner_text().count("2025年总计") == 1
    assert page.locator("#charts svg.chart").count() == 2
    assert "2025年" in page.locator("#sum-chart-requests-desc").text_content()
    # the outliers: both tables-alike bodies, each linking to its report
    items = page.locator('#outliers li[data-kind="identical_tables"]')
    assert items.count() == 2
    assert "多巴镇人民政府" in page.locator("#outliers").inner_text()
    _no_serious(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "office-summary.png"), full_page=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "office-summary-full.png"), full_page=True)
    link = items.first.locator("a").first
    name = link.inner_text()
    with page.expect_navigation():
        link.click()
    assert f"/review/{district[name]}" in page.url
    assert name in page.inner_text("body")
    # the dashboard shows the chart (an SVG image served by the summary)
    page.goto(f"{live_server}/admin?year=2026")
    page.wait_for_function(
        "() => { const i = document.querySelector('#summary-chart img.chart');"
        " return i !== null && i.complete && i.naturalWidth > 0; }",
        timeout=15000,
    )
    # the district government's draft, pre-filled, opens in the form
    page.goto(f"{live_server}/admin/summary?year=2026")
    with page.expect_navigation():
        page.click("#make-draft")
    assert "/edit" in page.url and "已按汇总数字生成本级报告草稿" in page.inner_text("body")
    page.context.close()

    # public: a 375 px phone, only the tables scroll
    phone = chromium.new_context(locale="zh-CN", viewport={"width": 375, "height": 740})
    pub = phone.new_page()
    pub.goto(f"{live_server}/public/summary/")
    assert "2025年度" in pub.locator("section.summary-year h2").first.inner_text()
    assert pub.locator("section.summary-year svg.chart").count() == 2
    widths = pub.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths
    box = pub.locator("section.summary-year .table-scroll").last
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # 表三 is wider than the phone: it scrolls
    _no_serious(pub)
    pub.screenshot(path=str(SCREENSHOTS / "public-summary-phone.png"), full_page=False)
    pub.screenshot(path=str(ARTIFACTS / "public-summary-phone-full.png"), full_page=True)
    phone.close()
