"""`workflow export-site DIR`: the whole portal as static files any web server can serve.

Same pages as the live portal (relative links, `index.html` spelled out), the published files copied
from storage after their SHA-256 is checked (a damaged file stops the export rather than being copied),
the feed and the sitemap with absolute addresses under `base_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from workflow.portal import queries, site
from workflow.storage import ArtifactStorage, get_storage


@dataclass
class ExportSummary:
    pages: int = 0
    files: int = 0
    bytes: int = 0


def export_site(
    session: Session, out: Path, *, base_url: str, storage: ArtifactStorage | None = None
) -> ExportSummary:
    storage = storage or get_storage()
    reports = queries.all_published(session)
    summary = ExportSummary()

    def link(here: str) -> site.Linker:
        return site.Linker(here, static=True, base_url=base_url)

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
                write(f"{v.path}report.{name}", storage.get(info["path"], sha256=info["sha256"]))
    write("feed.xml", site.feed(reports, link("feed.xml")))
    write("sitemap.xml", site.sitemap(reports, link("sitemap.xml")))
    return summary
