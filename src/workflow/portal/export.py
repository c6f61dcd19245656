"""`workflow export-site DIR`: the whole portal as static files any web server can serve.

Same pages as the live portal (relative links, `index.html` spelled out), the published files copied
from storage after their SHA-256 is checked, the feed and the sitemap with absolute addresses under
`base_url`.  A missing or damaged file is never copied: it is skipped, reported through `on_skip` and
listed in the summary, and the export goes on with the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from workflow.portal import queries, site
from workflow.storage import ArtifactCorrupted, ArtifactStorage, get_storage


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: str  # where it would have been written in the export
    reason: str


@dataclass
class ExportSummary:
    pages: int = 0
    files: int = 0
    bytes: int = 0
    skipped: list[SkippedFile] = field(default_factory=list)


def export_site(
    session: Session,
    out: Path,
    *,
    base_url: str,
    storage: ArtifactStorage | None = None,
    on_skip: Callable[[SkippedFile], None] | None = None,
) -> ExportSummary:
    storage = storage or get_storage()
    reports = queries.all_published(session)
    district = queries.district_name(session)
    summary = ExportSummary()

    def link(here: str) -> site.Linker:
        return site.Linker(here, static=True, base_url=base_url, district=district)

    def write(path: str, data: str | bytes) -> None:
        target = out / (path + "index.html" if path == "" or path.endswith("/") else path)
        target.parent.mkdir(parents=True, exist_ok=True)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        target.write_bytes(raw)
        summary.bytes += len(raw)
        if isinstance(data, str) and target.suffix == ".html":
            summary.pages += 1
        else:
            summary.files += 1

    write("", site.index_page(reports, link("")))
    write("search/", site.search_page("", reports, link("search/")))
    write("search.js", site.search_script())
    write("verify/", site.verify_page(reports, link("verify/")))
    write("favicon.svg", site.favicon())
    from workflow.portal import summary_page  # the district's summary of every published year

    write("summary/", summary_page.page(session, link("summary/")))
    for year in sorted({r.year for r in reports}):
        write(f"years/{year}/", site.year_page(year, reports, link(f"years/{year}/")))
    bodies: dict[int, list[queries.PublishedReport]] = {}
    for r in reports:
        bodies.setdefault(r.body_id, []).append(r)
    for body_id, own in bodies.items():
        here = f"bodies/{body_id}/"
        write(here, site.body_page(own[0].body_name, own[0].body_type, own, link(here)))
    for r in reports:
        for v in r.versions:
            content = queries.version_content(session, v.version_id)
            write(v.path, site.report_page(r, v, content, link(v.path)))
            if v is r.latest:
                write(r.path, site.report_page(r, v, content, link(r.path)))
            for name, info in v.artifacts.items():
                try:
                    data = storage.get(info["path"], sha256=info["sha256"])
                except ArtifactCorrupted as exc:
                    skipped = SkippedFile(f"{v.path}report.{name}", f"{exc.message}（{exc.path}）")
                    summary.skipped.append(skipped)
                    if on_skip:
                        on_skip(skipped)
                    continue
                write(f"{v.path}report.{name}", data)
    write("feed.xml", site.feed(reports, link("feed.xml")))
    write("sitemap.xml", site.sitemap(reports, link("sitemap.xml")))
    return summary
