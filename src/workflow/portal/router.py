"""The public portal as a FastAPI router (no login): mounted by the web app under /public.

Downloads are served from artifact storage and only if the bytes still match the SHA-256 recorded at
publication; otherwise the reader gets an error page, never altered bytes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from workflow.portal import queries, site
from workflow.portal.queries import PublishedReport, PublishedVersion
from workflow.publish.artifacts import MEDIA_TYPES, download_name
from workflow.storage import ArtifactCorrupted, get_storage

log = logging.getLogger(__name__)
PREFIX = "/public"
router = APIRouter(prefix=PREFIX, tags=["公开平台"])


def db_session() -> Iterator[Session]:
    from workflow.db.session import session_factory

    with session_factory()() as session:
        yield session


def _link(here: str, session: Session | None = None) -> site.Linker:
    from workflow.settings import get_settings

    if session is None:
        from workflow.db.session import session_factory

        with session_factory()() as own:
            district = queries.district_name(own)
    else:
        district = queries.district_name(session)
    base_url = get_settings().base_url.rstrip("/") + PREFIX
    return site.Linker(here, static=False, base_url=base_url, district=district)


# Ids beyond the database's integer range are not ids: answer 422, never a database overflow (500).
Id = Annotated[int, PathParam(ge=1, le=2**31 - 1)]  # the id columns are 32-bit integers
Year = Annotated[int, PathParam(ge=1900, le=9999)]


def _html(body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status)


def _not_found(here: str, message: str = "您要找的页面不存在或尚未公开。") -> HTMLResponse:
    return _html(site.error_page("页面不存在", message, _link(here)), 404)


@router.get("/", response_class=HTMLResponse, summary="首页：按年度和机关类型")
def index(session: Session = Depends(db_session)) -> HTMLResponse:
    return _html(site.index_page(queries.all_published(session), _link("", session)))


@router.get("/years/{year}/", response_class=HTMLResponse, summary="某年度的全部报告")
def year(year: Year, session: Session = Depends(db_session)) -> HTMLResponse:
    here = f"years/{year}/"
    return _html(site.year_page(year, queries.published_in_year(session, year), _link(here, session)))


@router.get("/bodies/{body_id}/", response_class=HTMLResponse, summary="某机关的各年度报告")
def body(body_id: Id, session: Session = Depends(db_session)) -> HTMLResponse:
    here = f"bodies/{body_id}/"
    found, reports = queries.body_reports(session, body_id)
    if found is None:
        return _not_found(here)
    return _html(site.body_page(found.name, found.body_type, reports, _link(here, session)))


@router.get("/summary/", response_class=HTMLResponse, summary="全区汇总：各年度的汇总表和图表")
def summary(session: Session = Depends(db_session)) -> HTMLResponse:
    from workflow.portal import summary_page

    return _html(summary_page.page(session, _link("summary/")))


@router.get("/search/", response_class=HTMLResponse, summary="查找报告：按机关名称、年度、机关类型")
def search(
    q: str = Query("", max_length=100),
    year: str = Query("", max_length=4),
    type: str = Query("", max_length=40),
    session: Session = Depends(db_session),
) -> HTMLResponse:
    q = q.strip()
    wanted_year = int(year) if year.isdigit() else None  # "全部年度" (blank) or anything else: all years
    reports = queries.all_published(session)
    found = queries.filter_reports(reports, q=q, year=wanted_year, body_type=type.strip())
    filters = site.Filters(q=q, year=wanted_year, body_type=type.strip())
    return _html(site.search_page(q, found, _link("search/", session), filters=filters, everything=reports))


@router.get("/verify/", response_class=HTMLResponse, summary="核验与订阅：文件的 SHA-256 和 Atom 订阅")
def verify(session: Session = Depends(db_session)) -> HTMLResponse:
    return _html(site.verify_page(queries.all_published(session), _link("verify/", session)))


@router.get("/favicon.svg", summary="网站图标", response_model=None)
def portal_favicon() -> Response:
    return _favicon()


favicon_router = APIRouter(tags=["公开平台"])


@favicon_router.get("/favicon.ico", summary="网站图标", response_model=None)
def favicon() -> Response:
    return _favicon()


def _favicon() -> Response:
    return Response(
        site.favicon(), media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
    )


def _find(
    session: Session, report_id: int, number: int | None
) -> tuple[PublishedReport, PublishedVersion] | None:
    entry = queries.published_report(session, report_id)
    if entry is None:
        return None
    if number is None:
        return entry, entry.latest
    for v in entry.versions:
        if v.number == number:
            return entry, v
    return None


@router.get("/reports/{report_id}/", response_class=HTMLResponse, summary="年度报告（最新版）")
def report_latest(report_id: Id, session: Session = Depends(db_session)) -> HTMLResponse:
    return _report(session, report_id, None, f"reports/{report_id}/")


@router.get("/reports/{report_id}/v{number}/", response_class=HTMLResponse, summary="年度报告的某一版")
def report_version(report_id: Id, number: Id, session: Session = Depends(db_session)) -> HTMLResponse:
    return _report(session, report_id, number, f"reports/{report_id}/v{number}/")


def _report(session: Session, report_id: int, number: int | None, here: str) -> HTMLResponse:
    found = _find(session, report_id, number)
    if found is None:
        return _not_found(here)
    entry, version = found
    content = queries.version_content(session, version.version_id)
    return _html(site.report_page(entry, version, content, _link(here, session)))


@router.get("/reports/{report_id}/v{number}/report.{name}", summary="下载已发布的文件", response_model=None)
def download(report_id: Id, number: Id, name: str, session: Session = Depends(db_session)) -> Response:
    here = f"reports/{report_id}/v{number}/report.{name}"
    found = _find(session, report_id, number)
    if found is None or name not in found[1].artifacts:
        return _not_found(here, "您要下载的文件不存在。")
    entry, version = found
    info = version.artifacts[name]
    try:
        data = get_storage().get(info["path"], sha256=info["sha256"])
    except ArtifactCorrupted as exc:
        log.error("refused to serve %s: %s", info["path"], exc)
        return _html(site.error_page("文件暂不能下载", exc.message, _link(here)), 503)
    filename = download_name(entry.body_name, entry.year, version.number, name)
    return Response(
        data,
        media_type=info.get("media_type") or MEDIA_TYPES.get(name, "application/octet-stream"),
        headers={
            "Content-Disposition": f"inline; filename=report.{name}; filename*=UTF-8''{quote(filename)}",
            "X-Content-SHA256": info["sha256"],
            "Cache-Control": "public, max-age=86400, immutable",
        },
    )


@router.get("/feed.xml", summary="Atom：发布与更正", response_model=None)
def feed(session: Session = Depends(db_session)) -> Response:
    body = site.feed(queries.all_published(session), _link("feed.xml"))
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/sitemap.xml", summary="网站地图", response_model=None)
def sitemap(session: Session = Depends(db_session)) -> Response:
    body = site.sitemap(queries.all_published(session), _link("sitemap.xml"))
    return Response(body, media_type="application/xml; charset=utf-8")
