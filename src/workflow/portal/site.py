"""The portal's pages, rendered the same way for the live site and for `workflow export-site`.

Every internal link is relative to the page it sits on, so the same HTML works under the live prefix
(/public/…) and as static files in any directory of any web server.  The static flavour spells out
`index.html` so the export also works straight from disk.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workflow.domain.bodies import BodyType
from workflow.domain.model import Report
from workflow.portal.queries import PublishedReport, PublishedVersion, body_type_label
from workflow.publish.artifacts import LABELS, ORDER, download_name
from workflow.publish.html import PublicationMeta, cn_date, document_context, environment

TEMPLATES = Path(__file__).resolve().parent / "templates"
SITE_NAME = "政府信息公开工作年度报告公开平台"
TYPE_ORDER = [t.value for t in BodyType]


@dataclass(frozen=True, slots=True)
class Linker:
    """Links from the page at `here` (a site path such as "reports/3/v1/"; "" is the home page)."""

    here: str
    static: bool = False
    base_url: str = ""  # absolute address of the site root, for the feed and the sitemap

    def url(self, target: str) -> str:
        if self.static and (target == "" or target.endswith("/")):
            target += "index.html"
        here_dir = (
            self.here if self.here.endswith("/") or not self.here else posixpath.dirname(self.here) + "/"
        )
        rel = posixpath.relpath("/" + target, "/" + here_dir)
        if target.endswith("/") and not rel.endswith("/"):
            rel += "/"
        return "./" if rel in (".", "./") else rel

    def absolute(self, target: str) -> str:
        return self.base_url.rstrip("/") + "/" + target


def env() -> Any:
    e = environment((TEMPLATES,))
    e.globals.setdefault("SITE_NAME", SITE_NAME)
    e.filters.setdefault("type_label", body_type_label)
    e.filters.setdefault("iso", lambda d: d.astimezone(UTC).isoformat().replace("+00:00", "Z"))
    e.filters.setdefault("filesize", _filesize)
    return e


def _filesize(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, round(n / 1024))} KB"


def _render(template: str, link: Linker, **ctx: Any) -> str:
    return str(env().get_template(template).render(link=link, **ctx))


def by_year_and_type(reports: list[PublishedReport]) -> dict[int, dict[str, list[PublishedReport]]]:
    out: dict[int, dict[str, list[PublishedReport]]] = defaultdict(lambda: defaultdict(list))
    for r in reports:
        out[r.year][r.body_type].append(r)
    return {
        y: {
            t: out[y][t] for t in sorted(out[y], key=lambda t: TYPE_ORDER.index(t) if t in TYPE_ORDER else 99)
        }
        for y in sorted(out, reverse=True)
    }


def index_page(reports: list[PublishedReport], link: Linker) -> str:
    return _render("portal_index.html", link, years=by_year_and_type(reports), total=len(reports))


def year_page(year: int, reports: list[PublishedReport], link: Linker) -> str:
    groups = by_year_and_type([r for r in reports if r.year == year]).get(year, {})
    return _render("portal_year.html", link, year=year, groups=groups)


def body_page(body_name: str, body_type: str, reports: list[PublishedReport], link: Linker) -> str:
    return _render("portal_body.html", link, body_name=body_name, body_type=body_type, reports=reports)


def search_page(q: str, reports: list[PublishedReport], link: Linker) -> str:
    return _render("portal_search.html", link, q=q, reports=reports)


def search_script() -> str:
    """The exported site's search filter (search.js beside index.html): an external file, because
    the pages' Content-Security-Policy allows no inline script."""
    return (TEMPLATES / "search.js").read_text("utf-8")


def report_page(entry: PublishedReport, version: PublishedVersion, content: Report, link: Linker) -> str:
    meta = PublicationMeta(
        version=version.number,
        published_at=version.published_at,
        first_published_at=version.first_published_at,
        correction_note=version.correction_note or "",
        report_id=entry.report_id,
    )
    downloads = [
        {
            "name": name,
            "label": LABELS[name],
            "path": f"{version.path}report.{name}",
            "size": version.artifacts[name]["size"],
            "sha256": version.artifacts[name]["sha256"],
            "filename": download_name(entry.body_name, entry.year, version.number, name),
        }
        for name in ORDER
        if name in version.artifacts
    ]
    ctx = document_context(content, meta)
    return _render(
        "portal_report.html",
        link,
        entry=entry,
        version=version,
        downloads=downloads,
        is_latest=version is entry.latest,
        **ctx,
    )


def error_page(title: str, message: str, link: Linker) -> str:
    return _render("portal_error.html", link, title=title, message=message)


def feed(reports: list[PublishedReport], link: Linker, limit: int = 200) -> str:
    """Atom: one entry per publication, corrections included, newest first."""
    items = sorted(
        ((r, v) for r in reports for v in r.versions), key=lambda rv: rv[1].published_at, reverse=True
    )[:limit]
    updated = items[0][1].published_at if items else datetime(2000, 1, 1, tzinfo=UTC)
    return _render("feed.xml", link, items=items, updated=updated)


def sitemap(reports: list[PublishedReport], link: Linker) -> str:
    pages: list[tuple[str, datetime | None]] = [("", None), ("search/", None)]
    pages += [(f"years/{y}/", None) for y in sorted({r.year for r in reports}, reverse=True)]
    pages += [(f"bodies/{b}/", None) for b in sorted({r.body_id for r in reports})]
    for r in reports:
        pages.append((r.path, r.latest.published_at))
        pages += [(v.path, v.published_at) for v in r.versions]
    return _render("sitemap.xml", link, pages=pages)


__all__ = ["Linker", "cn_date", "index_page", "year_page", "body_page", "report_page", "feed", "sitemap"]
