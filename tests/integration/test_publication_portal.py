"""The public portal over a real database and real stored files: pages, downloads, feed, sitemap, export."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.integration.test_publication_support import approved_report, correct
from workflow.cli import main as cli_main
from workflow.clock import FixedClock
from workflow.domain.samples import sample_report
from workflow.portal import router
from workflow.services.publication import publish
from workflow.settings import get_settings
from workflow.storage import LocalStorage

pytestmark = pytest.mark.integration
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def storage(tmp_path: Path, db, monkeypatch: pytest.MonkeyPatch) -> LocalStorage:  # type: ignore[no-untyped-def]
    root = tmp_path / "published"
    monkeypatch.setenv("WORKFLOW_STORAGE_DIR", str(root))
    monkeypatch.setenv("WORKFLOW_BASE_URL", "https://gongkai.example.gov.cn")
    get_settings.cache_clear()
    return LocalStorage(root)


@pytest.fixture
def published(session: Session, clock: FixedClock, storage: LocalStorage) -> dict[str, int]:
    """鲁沙尔镇 (published, then corrected) and a department: two bodies, three publications."""
    ids = {}
    for name in ("鲁沙尔镇人民政府", "西宁市湟中区教育局"):
        content = sample_report(random.Random(len(name)), year=2026, body_name=name, with_requests=True)
        ids[name] = approved_report(session, content)
        publish(session, report_id=ids[name], storage=storage)
        clock.advance(hours=2)
    content = sample_report(
        random.Random(len("鲁沙尔镇人民政府")), year=2026, body_name="鲁沙尔镇人民政府", with_requests=True
    )
    t2 = content.table("t2")
    t2.set("penalty", "decisions", int(t2.value("penalty", "decisions") or 0) + 1)
    clock.advance(days=10)
    correct(session, ids["鲁沙尔镇人民政府"], content, "表二行政处罚数量<更正>。")
    publish(session, report_id=ids["鲁沙尔镇人民政府"], storage=storage)
    session.commit()
    return ids


@pytest.fixture
def client(published: dict[str, int]) -> TestClient:
    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def _doc(client: TestClient, url: str) -> lxml.html.HtmlElement:
    r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return lxml.html.fromstring(r.text)


def test_index_year_body_and_search_pages(client: TestClient, published: dict[str, int]) -> None:
    home = _doc(client, "/public/")
    text = home.text_content()
    assert "2026年度报告" in text and "乡镇人民政府" in text and "县级人民政府部门" in text
    year = _doc(client, "/public/years/2026/")
    assert [a.text for a in year.xpath("//section[@id='type-township']//td[1]/a")] == ["鲁沙尔镇人民政府"]
    assert year.xpath("//td//span[@class='tag']/text()") == ["已更正"]
    body_link = year.xpath("//a[text()='鲁沙尔镇人民政府']/@href")[0]
    body = _doc(client, "/public/years/2026/" + body_link)
    versions = [li.text_content() for li in body.xpath("//ul[@class='versions']/li")]
    assert [v.split(" · ")[1] for v in versions] == ["第2版（更正）：表二行政处罚数量<更正>。", "首次发布"]
    found = _doc(client, "/public/search/?q=鲁沙尔")
    assert [tr.get("data-name") for tr in found.xpath("//tr[@data-name]")] == ["鲁沙尔镇人民政府"]
    assert len(_doc(client, "/public/search/?q=湟中 教育").xpath("//tr[@data-name]")) == 1
    assert "没有找到" in _doc(client, "/public/search/?q=%25").text_content()


def test_the_report_page_shows_the_correction_and_keeps_earlier_versions(
    client: TestClient, published: dict[str, int]
) -> None:
    rid = published["鲁沙尔镇人民政府"]
    page = _doc(client, f"/public/reports/{rid}/")
    note = page.xpath("//aside[@id='correction']")[0].text_content()
    assert "表二行政处罚数量<更正>。" in note, "the note is shown as text"
    assert "首次发布" in note
    assert page.xpath("//td[@data-row='penalty']")
    old = _doc(client, f"/public/reports/{rid}/v1/")
    assert not old.xpath("//aside[@id='correction']")
    assert "该版本已被更正" in old.text_content()
    first_date = old.xpath("string(//p[contains(., '首次发布日期')])")
    assert first_date == page.xpath("string(//p[contains(., '首次发布日期')])")
    assert client.get(f"/public/reports/{rid}/v9/").status_code == 404
    assert client.get("/public/reports/999999/").status_code == 404


def test_downloads_are_served_only_while_their_hash_matches(
    client: TestClient, published: dict[str, int], storage: LocalStorage
) -> None:
    rid = published["西宁市湟中区教育局"]
    page = _doc(client, f"/public/reports/{rid}/")
    links = {a.get("href") for a in page.xpath("//aside[@class='side']//a[@download]")}
    assert links == {f"v1/report.{n}" for n in ("html", "pdf", "json", "csv", "xlsx")}
    pdf = client.get(f"/public/reports/{rid}/v1/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''" in pdf.headers["content-disposition"]
    # someone edits the stored PDF on disk
    sha = pdf.headers["x-content-sha256"]
    path = storage.root / sha[:2] / f"{sha}.pdf"
    path.chmod(0o644)
    path.write_bytes(pdf.content + b"% tampered")
    refused = client.get(f"/public/reports/{rid}/v1/report.pdf")
    assert refused.status_code == 503
    assert "校验失败" in refused.text and b"tampered" not in refused.content


def test_the_feed_is_atom_with_publications_and_corrections_and_the_sitemap_works(
    client: TestClient, published: dict[str, int]
) -> None:
    r = client.get("/public/feed.xml")
    assert r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert (feed.findtext(f"{ATOM}{tag}") or "").strip(), tag
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
    for e in entries:
        assert (e.findtext(f"{ATOM}id") or "").startswith("https://gongkai.example.gov.cn/public/reports/")
        assert e.findtext(f"{ATOM}title")
        assert iso.match(e.findtext(f"{ATOM}updated") or "")
        assert e.find(f"{ATOM}link").get("href").startswith("https://")  # type: ignore[union-attr]
    assert len({e.findtext(f"{ATOM}id") for e in entries}) == 3
    assert entries[0].findtext(f"{ATOM}title", "").startswith("【更正】鲁沙尔镇人民政府")
    assert iso.match(feed.findtext(f"{ATOM}updated") or "")
    # and the sitemap lists every page, each of which answers
    tree = ET.fromstring(client.get("/public/sitemap.xml").content)
    locs = [u.findtext("{http://www.sitemaps.org/schemas/sitemap/0.9}loc") for u in tree]
    base = "https://gongkai.example.gov.cn/public/"
    assert base in locs and f"{base}reports/{published['鲁沙尔镇人民政府']}/v1/" in locs
    for loc in locs:
        assert client.get(urlsplit(loc or "").path).status_code == 200, loc


def test_exported_site_has_no_broken_internal_link(published: dict[str, int], tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert cli_main(["export-site", str(out), "--base-url", "https://example.org/nb"]) == 0
    pages = sorted(out.rglob("index.html"))  # the report.html files are the published artifacts
    # index, search, summary, verify, year, bodies, latest reports, versions
    assert len(pages) == 1 + 1 + 1 + 1 + 1 + 2 + 2 + 3
    checked = 0
    for page in pages:
        doc = lxml.html.fromstring(page.read_bytes())
        for href in doc.xpath("//a/@href | //link/@href | //form/@action"):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(out)} links to missing {href}"
            assert target.is_relative_to(out.resolve()), f"{href} leaves the site"
            if parts.fragment and target.suffix == ".html":
                ids = lxml.html.fromstring(target.read_bytes()).xpath("//@id")
                assert parts.fragment in ids, f"{page.relative_to(out)}: no #{parts.fragment} in {href}"
            checked += 1
    assert checked > 50
    assert (out / "feed.xml").is_file() and (out / "sitemap.xml").is_file()
    assert (out / "favicon.svg").read_bytes().startswith(b"<svg")
    rid = published["鲁沙尔镇人民政府"]
    assert (out / f"reports/{rid}/v2/report.pdf").read_bytes().startswith(b"%PDF")
