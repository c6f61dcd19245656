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
    district: str = ""  # the district the portal publishes for, named on every page

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


@dataclass(frozen=True, slots=True)
class Filters:
    """The search form's choices: words of the body's name, a year, a body type (blank: any)."""

    q: str = ""
    year: int | None = None
    body_type: str = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.year or self.body_type)


def filter_options(reports: list[PublishedReport]) -> dict[str, Any]:
    """The years and body types the filters offer: those that have a published report."""
    types = sorted(
        {r.body_type for r in reports}, key=lambda t: TYPE_ORDER.index(t) if t in TYPE_ORDER else 99
    )
    return {
        "years": sorted({r.year for r in reports}, reverse=True),
        "types": [(t, body_type_label(t)) for t in types],
    }


def index_page(reports: list[PublishedReport], link: Linker) -> str:
    return _render(
        "portal_index.html",
        link,
        years=by_year_and_type(reports),
        total=len(reports),
        filters=Filters(),
        options=filter_options(reports),
    )


def year_page(year: int, reports: list[PublishedReport], link: Linker) -> str:
    groups = by_year_and_type([r for r in reports if r.year == year]).get(year, {})
    return _render("portal_year.html", link, year=year, groups=groups)


def body_page(body_name: str, body_type: str, reports: list[PublishedReport], link: Linker) -> str:
    return _render("portal_body.html", link, body_name=body_name, body_type=body_type, reports=reports)


def search_page(
    q: str,
    reports: list[PublishedReport],
    link: Linker,
    *,
    filters: Filters | None = None,
    everything: list[PublishedReport] | None = None,
) -> str:
    """The search results; `everything` (all published reports) gives the filters their choices."""
    return _render(
        "portal_search.html",
        link,
        q=q,
        reports=reports,
        filters=filters or Filters(q=q),
        options=filter_options(everything if everything is not None else reports),
    )


def verify_page(reports: list[PublishedReport], link: Linker) -> str:
    """核验与订阅: every published file's SHA-256 (to check a copy is the original) and the feed."""
    rows = [
        {
            "report": r,
            "version": v,
            "files": [
                {
                    "label": LABELS[name],
                    "path": f"{v.path}report.{name}",
                    "sha256": v.artifacts[name]["sha256"],
                    "filename": download_name(r.body_name, r.year, v.number, name),
                }
                for name in ORDER
                if name in v.artifacts
            ],
        }
        for r in reports
        for v in reversed(r.versions)
    ]
    return _render("portal_verify.html", link, rows=rows)


FAVICON = Path(__file__).resolve().parents[1] / "web" / "static" / "favicon.svg"


def favicon() -> bytes:
    """The site's icon (an SVG), served at /favicon.ico, /public/favicon.svg and in the export."""
    return FAVICON.read_bytes()


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
    pages: list[tuple[str, datetime | None]] = [("", None), ("search/", None), ("verify/", None)]
    pages += [(f"years/{y}/", None) for y in sorted({r.year for r in reports}, reverse=True)]
    pages += [(f"bodies/{b}/", None) for b in sorted({r.body_id for r in reports})]
    for r in reports:
        pages.append((r.path, r.latest.published_at))
        pages += [(v.path, v.published_at) for v in r.versions]
    return _render("sitemap.xml", link, pages=pages)


__all__ = [
    "Filters",
    "Linker",
    "cn_date",
    "verify_page",
    "index_page",
    "year_page",
    "body_page",
    "report_page",
    "feed",
    "sitemap",
]
