"""The public site in a real browser (issue #16.4), phone-sized where a citizen reads it.

On a 375 px phone the report page and the lists fit the screen: only a table's own box scrolls
sideways, never the page.  Every page names the district and has a breadcrumb; the index searches by
name, year and body type; versions read 首次发布 / 第2版（更正）：… (a report submitted twice and
published once is 首次发布); SHA-256 sums and the feed live on 核验与订阅 (footer); the favicon is served at
/favicon.ico and linked from the portal's and the application's pages.  axe: no serious or critical
violation.  Writes docs/screenshots/public-index.png (1366×768) and public-report-phone.png (375×812).
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import pytest
from axe_playwright_python.sync_playwright import Axe

from workflow.db.factories import make_body, make_jurisdiction, make_season
from workflow.db.models import Publication, ReportRow, ReportVersion
from workflow.domain.samples import sample_report
from workflow.publish.artifacts import render_all
from workflow.publish.html import PublicationMeta

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / (
    "docs/screenshots" if os.environ.get("WORKFLOW_SCREENSHOTS") == "1" else "test-artifacts/e2e"
)
DISTRICT = "西宁市湟中区"
NOTE = "更正表二行政处罚数量。"


def _publish(
    s, row: ReportRow, version: ReportVersion, at: datetime, first: datetime, note: str = ""
) -> None:
    """A publication as the publishing service records it: every file rendered and stored."""
    from workflow.domain.model import Report
    from workflow.storage import get_storage

    meta = PublicationMeta(
        version=version.number,
        published_at=at,
        first_published_at=first,
        correction_note=note,
        report_id=row.id,
    )
    storage = get_storage()
    artifacts = {
        name: storage.put(a.data, suffix=name, media_type=a.media_type).to_dict()
        for name, a in render_all(Report.from_dict(version.content), meta).items()
    }
    s.add(
        Publication(
            report_id=row.id,
            version_id=version.id,
            published_at=at,
            first_published_at=first,
            correction_note=note or None,
            artifacts=artifacts,
        )
    )


def _report(s, body, season, content, versions: int) -> tuple[ReportRow, list[ReportVersion]]:
    content.header.body_name = body.name
    row = ReportRow(
        body_id=body.id,
        season_id=season.id,
        state="published",
        draft=content.to_dict(),
        latest_version=versions,
    )
    s.add(row)
    s.flush()
    out = []
    for number in range(1, versions + 1):
        v = ReportVersion(
            report_id=row.id, number=number, content=content.to_dict(), content_hash=content.content_hash()
        )
        s.add(v)
        out.append(v)
    s.flush()
    return row, out


@pytest.fixture
def portal(live_server, db):
    """Three bodies of 西宁市湟中区: 鲁沙尔镇 (2024 and 2025, the 2025 one corrected), 多巴镇 (2025, its
    second submission published: version 2, first publication), 教育局 (2025)."""
    rng = random.Random(16)
    with db.sessions() as s:
        home = make_jurisdiction(s, DISTRICT)
        s2024, s2025 = make_season(s, 2024), make_season(s, 2025)
        lushaer = make_body(s, "鲁沙尔镇人民政府", code="lushaer", jurisdiction=home)
        duoba = make_body(s, "多巴镇人民政府", code="duoba", jurisdiction=home)
        edu = make_body(s, "西宁市湟中区教育局", code="edu", jurisdiction=home, body_type="county_department")
        jan = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)
        old, (v1,) = _report(s, lushaer, s2024, sample_report(rng, year=2024, body_name=lushaer.name), 1)
        _publish(s, old, v1, datetime(2025, 1, 22, 2, 0, tzinfo=UTC), datetime(2025, 1, 22, 2, 0, tzinfo=UTC))
        long = sample_report(rng, year=2025, body_name=lushaer.name, with_requests=True)
        row, (v1, v2) = _report(s, lushaer, s2025, long, 2)
        _publish(s, row, v1, jan, jan)
        _publish(s, row, v2, datetime(2026, 3, 5, 2, 0, tzinfo=UTC), jan, NOTE)
        twice, (_, v2) = _report(s, duoba, s2025, sample_report(rng, year=2025, body_name=duoba.name), 2)
        _publish(s, twice, v2, jan, jan)
        dept, (v1,) = _report(s, edu, s2025, sample_report(rng, year=2025, body_name=edu.name), 1)
        _publish(s, dept, v1, jan, jan)
        s.commit()
        return {"lushaer": row.id, "duoba": twice.id, "edu": dept.id, "lushaer_body": lushaer.id}


def _no_serious(page, where: str) -> None:
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, where + ": " + "; ".join(f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in bad)


def _page_scrolls_sideways(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")


def _too_wide(page) -> list[str]:
    """The elements that stick out on the right (for the failure message)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
          .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
          .slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )


def _crumbs(page) -> list[str]:
    return [t.strip() for t in page.locator("nav.crumbs > *").all_inner_texts() if t.strip() not in ("›", "")]


def test_the_public_site_on_a_phone(live_server, portal, chromium, shots):
    base = live_server + "/public/"
    context = chromium.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=1)
    page = context.new_page()

    # The report page: fits the phone, the tables scroll in their own boxes.
    page.goto(f"{base}reports/{portal['lushaer']}/")
    assert DISTRICT in page.locator("header.site").inner_text()
    assert _crumbs(page) == [DISTRICT, "2025年度", "鲁沙尔镇人民政府", "2025年度报告"]
    assert not _page_scrolls_sideways(page), f"the report page scrolls sideways: {_too_wide(page)}"
    boxes = page.locator(".report .table-box")
    assert boxes.count() == 3
    for i in range(boxes.count()):
        box = boxes.nth(i)
        assert box.evaluate("b => b.scrollWidth > b.clientWidth"), f"table {i + 1} should scroll in its box"
        assert box.evaluate("b => b.getBoundingClientRect().right") <= 375
    box = boxes.nth(1)
    box.evaluate("b => b.scrollBy(200, 0)")
    assert box.evaluate("b => b.scrollLeft") > 0 and page.evaluate("window.scrollX") == 0
    # Version wording: counted by publication.
    versions = page.locator("ul.versions li").all_inner_texts()
    assert versions == [f"2026年3月5日 · 第2版（更正）：{NOTE}", "2026年1月20日 · 首次发布"]
    assert "SHA-256" not in page.locator("main").inner_text(), "the hashes live on 核验与订阅"
    _no_serious(page, "report page (phone)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "public-report-phone.png"))

    # The first version, and a report submitted twice whose only publication is version 2.
    page.goto(f"{base}reports/{portal['lushaer']}/v1/")
    assert "您正在查看首次发布" in page.locator("p.notice").inner_text()
    page.goto(f"{base}reports/{portal['duoba']}/")
    assert page.locator("ul.versions li").all_inner_texts() == ["2026年1月20日 · 首次发布"]
    assert "第2版" not in page.locator("main").inner_text()

    # The other pages on the phone: district, breadcrumb, no sideways page scroll, axe.
    for path, crumbs in [
        ("", [DISTRICT]),
        ("years/2025/", [DISTRICT, "2025年度"]),
        (f"bodies/{portal['lushaer_body']}/", [DISTRICT, "鲁沙尔镇人民政府"]),
        ("search/?q=镇", [DISTRICT, "查找报告"]),
        ("verify/", [DISTRICT, "核验与订阅"]),
    ]:
        page.goto(base + path)
        assert DISTRICT in page.locator("header.site").inner_text(), path
        assert _crumbs(page) == crumbs, path
        assert not _page_scrolls_sideways(page), f"{path or 'index'} scrolls sideways on a phone"
        _no_serious(page, path or "index")
        shots(page, "public-" + (path.split("/")[0] or "index") + "-phone")
    context.close()


def test_search_filters_verify_page_and_favicon(live_server, portal, chromium, db, tmp_path):
    base = live_server + "/public/"
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(base)
    assert page.locator("h1").inner_text() == f"{DISTRICT}政府信息公开工作年度报告"
    page.screenshot(path=str(SCREENSHOTS / "public-index.png"))

    def results() -> list[str]:
        return page.locator("#results tbody tr[data-name]").evaluate_all(
            "rows => rows.map(r => r.dataset.name + ' ' + r.dataset.year)"
        )

    # Year and body type, from the index's form.
    page.select_option("#year", "2025")
    page.select_option("#type", "county_department")
    page.click("form.filters button")
    assert results() == ["西宁市湟中区教育局 2025"]
    assert page.locator("#year").input_value() == "2025", "the choices stay selected"
    # The body's name, any year.
    page.select_option("#year", "")
    page.select_option("#type", "")
    page.fill("#q", "鲁沙尔")
    page.click("form.filters button")
    assert sorted(results()) == ["鲁沙尔镇人民政府 2024", "鲁沙尔镇人民政府 2025"]
    page.fill("#q", "不存在的机关")
    page.click("form.filters button")
    assert "没有找到符合条件的年度报告" in page.locator("#results").inner_text()

    # 核验与订阅, from the footer: every file's SHA-256, the feed; the report page links its entry.
    page.goto(f"{base}reports/{portal['lushaer']}/")
    page.click("footer.site >> text=核验与订阅")
    assert page.url.endswith("/public/verify/")
    text = page.locator("main").inner_text()
    assert "feed.xml" in text and "sha256sum" in text
    hashes = page.locator(f"#r{portal['lushaer']}-v2 code").all_inner_texts()
    assert len(hashes) == 5 and all(len(h) == 64 for h in hashes)
    pdf = page.request.get(f"{base}reports/{portal['lushaer']}/v2/report.pdf")
    assert pdf.headers["x-content-sha256"] in hashes
    assert page.locator(f"#r{portal['duoba']}-v2 h3").inner_text().endswith("（首次发布，2026年1月20日）")

    # The favicon: served at /favicon.ico, linked from the portal's and the application's pages.
    icon = page.request.get(live_server + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.body().startswith(b"<svg")
    href = page.locator("link[rel=icon]").get_attribute("href") or ""
    assert href == "../favicon.svg", "relative, so that the exported site has it too"
    assert page.request.get(urljoin(page.url, href)).body() == icon.body()
    page.goto(live_server + "/login")
    assert page.locator("link[rel=icon]").get_attribute("href") == "/favicon.ico"

    # The exported site (no server): the same form filters the list in the browser (search.js).
    from workflow.portal.export import export_site

    with db.sessions() as s:
        export_site(s, tmp_path / "site", base_url="https://example.org/")
    page.goto((tmp_path / "site" / "index.html").as_uri())
    assert DISTRICT in page.locator("header.site").inner_text()
    page.select_option("#year", "2025")
    page.select_option("#type", "township")
    page.click("form.filters button")
    assert page.url.split("?")[0].endswith("/search/index.html")
    shown = page.locator("#results tbody tr[data-name]:not([hidden])")
    assert sorted(shown.evaluate_all("rows => rows.map(r => r.dataset.name)")) == [
        "多巴镇人民政府",
        "鲁沙尔镇人民政府",
    ]
    assert page.locator("#count").inner_text() == "找到 2 份报告"
    page.fill("#q", "多巴")
    assert shown.evaluate_all("rows => rows.map(r => r.dataset.name)") == ["多巴镇人民政府"]
    context.close()
