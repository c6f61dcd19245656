"""Imports that show before they replace (issue #15.2, #15.5, #15.6).

- POST /reports/{id}/import: an uploaded file (.docx/.pdf/.xlsx/text) parsed into a pending import,
  then the preview; a file with no report in it is refused on the form, nothing changed.
- POST /reports/{id}/format: the 2019 ↔ 2021 switch as a pending import (what has no counterpart listed).
- POST /reports/{id}/last-year (and /last-year/upload with last year's file; POST /reports/last-year
  from the report list, which starts the report first): last year's report carried into this year's.
- GET /reports/{id}/import?p=…: the preview (cells old → new, sections, header); POST …/import/confirm
  applies it (refused if the draft changed since), …/import/cancel drops it.
- GET /reports/{id}/tables.xlsx: the tables to fill offline, uploaded back through the same preview.
Pending imports: services/imports.py (files under data_dir, bound to the user and the report).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from workflow.db.models import ReportRow, User
from workflow.domain.formats import FORMATS, FormatId
from workflow.domain.import_preview import preview
from workflow.exporters.form_xlsx import tables_xlsx
from workflow.services import drafts, imports
from workflow.services.errors import ReportExists, ServiceError
from workflow.web import data
from workflow.web.deps import DB, MAX_ID, Id, PageUser, ReadDB, SubmitterUser, WriteReport, report_for
from workflow.web.upload import Uploaded
from workflow.web.views_common import flash, redirect, render
from workflow.web.views_submit import _form_page

router = APIRouter(include_in_schema=False)
EDITABLE = ("draft", "returned", "needs_fixes")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PendingQ = Annotated[str, Query(max_length=64, alias="p")]
PendingF = Annotated[str, Form(max_length=64)]
GONE = "这次导入的预览已经过期或已处理（预览保留一天），草稿没有改变。请重新导入。"


def _data_dir(request: Request) -> Any:
    return request.app.state.settings.data_dir


def _not_editable(request: Request, report: ReportRow) -> Response | None:
    if report.state in EDITABLE:
        return None
    flash(request, "报告已提交或已审定，不能再导入；如需修改请先撤回或申请更正。", "error")
    return redirect(f"/reports/{report.id}")


def _to_preview(report_id: int, pending_id: str) -> Response:
    return redirect(f"/reports/{report_id}/import?p={pending_id}")


@router.post("/reports/{report_id}/import")
# The older upload address too: every upload is shown before it replaces anything (issue #15).
@router.post("/reports/{report_id}/upload")
def import_file(
    request: Request, report_id: Id, user: PageUser, db: DB, report: WriteReport, got: Uploaded
) -> Response:
    if (blocked := _not_editable(request, report)) is not None:
        return blocked
    if got.error:
        return _form_page(request, db, user, report, status=got.status, flash=got.error, flash_kind="error")
    body, year = report.body, report.season.report_year
    current = data.draft_of(report)
    db.commit()  # no transaction or pooled connection is held while the child process parses
    try:
        pid = imports.upload_pending(
            _data_dir(request),
            user_id=user.id,
            report=report,
            current=current,
            data=got.data,
            filename=got.filename,
            revision=got.revision,
            body_type=body.body_type,
            year=year,
            body_name=body.name,
        )
    except ServiceError as exc:
        return _form_page(request, db, user, report, status=exc.code, flash=exc.message, flash_kind="error")
    return _to_preview(report.id, pid)


@router.post("/reports/{report_id}/format")
def switch_format(
    request: Request,
    report_id: Id,
    user: PageUser,
    db: DB,
    report: WriteReport,
    format: Annotated[str, Form(max_length=8)],
    revision: Annotated[int, Form(ge=0, le=MAX_ID)] = 0,
) -> Response:
    if (blocked := _not_editable(request, report)) is not None:
        return blocked
    try:
        target = FormatId(format)
    except ValueError:
        flash(request, "请选择报告格式（2021 年版或 2019 年试行版）。", "error")
        return redirect(f"/reports/{report.id}/edit")
    current = data.draft_of(report)
    if current.format is target:
        flash(request, f"报告已经是{FORMATS[target].name}，无需更换。")
        return redirect(f"/reports/{report.id}/edit")
    pid = imports.format_pending(
        _data_dir(request),
        user_id=user.id,
        report_id=report.id,
        current=current,
        target=target,
        revision=revision or report.draft_revision,
    )
    return _to_preview(report.id, pid)


def _last_year_from_db(request: Request, db: Any, user: User, report: ReportRow) -> Response:
    previous, imported = imports.last_year_report(db, report)
    if previous is None:
        flash(
            request,
            "没有找到本单位上一年度已审定的报告。可以在下面“以上年度报告为基础”处上传上一年度报告的 "
            "PDF 或 Word 文件。",
            "error",
        )
        return redirect(f"/reports/{report.id}/edit#start-last-year")
    pid = imports.last_year_pending(
        _data_dir(request),
        user_id=user.id,
        report_id=report.id,
        previous=previous,
        year=report.season.report_year,
        body_name=report.body.name,
        body_type=report.body.body_type,
        revision=report.draft_revision,
        filename="上一年度已公开报告（由政务公开办导入）" if imported else "",
    )
    return _to_preview(report.id, pid)


@router.post("/reports/{report_id}/last-year")
def last_year(request: Request, report_id: Id, user: PageUser, db: DB, report: WriteReport) -> Response:
    if (blocked := _not_editable(request, report)) is not None:
        return blocked
    return _last_year_from_db(request, db, user, report)


@router.post("/reports/{report_id}/last-year/upload")
def last_year_file(
    request: Request, report_id: Id, user: PageUser, db: DB, report: WriteReport, got: Uploaded
) -> Response:
    if (blocked := _not_editable(request, report)) is not None:
        return blocked
    if got.error:
        return _form_page(request, db, user, report, status=got.status, flash=got.error, flash_kind="error")
    body, year = report.body, report.season.report_year
    revision = report.draft_revision
    db.commit()
    try:
        parsed = imports.parse_file(
            got.data, got.filename, body_type=body.body_type, year=year - 1, body_name=body.name
        )
    except ServiceError as exc:
        return _form_page(request, db, user, report, status=exc.code, flash=exc.message, flash_kind="error")
    pid = imports.last_year_pending(
        _data_dir(request),
        user_id=user.id,
        report_id=report.id,
        previous=parsed.report,
        year=year,
        body_name=body.name,
        body_type=body.body_type,
        revision=revision,
        filename=got.filename,
    )
    return _to_preview(report.id, pid)


@router.post("/reports/last-year")
def start_from_last_year(
    request: Request, user: SubmitterUser, db: DB, season_id: Annotated[int, Form(ge=1, le=MAX_ID)]
) -> Response:
    """From the report list: start this year's report (or open the one started) from last year's."""
    if user.body_id is None:
        flash(request, "您的账号没有关联报送单位，请联系政务公开办。", "error")
        return redirect("/reports")
    try:
        rid = drafts.create_report(
            db, body_id=user.body_id, season_id=season_id, actor_id=user.id, content=None
        )
    except ReportExists as exc:
        rid = exc.report_id
        db.rollback()
    except ServiceError as exc:
        flash(request, exc.message, "error")
        return redirect("/reports")
    report = report_for(db, user, rid, edit=True)
    if (blocked := _not_editable(request, report)) is not None:
        return blocked
    return _last_year_from_db(request, db, user, report)


@router.get("/reports/{report_id}/import")
def preview_page(request: Request, report_id: Id, user: PageUser, db: ReadDB, p: PendingQ = "") -> Response:
    report = report_for(db, user, report_id, edit=True)
    pending = imports.load_pending(_data_dir(request), p, user_id=user.id, report_id=report.id)
    if pending is None:
        flash(request, GONE, "error")
        return redirect(f"/reports/{report.id}/edit")
    current = data.draft_of(report)
    ctx = {
        "report": report,
        "pending": pending,
        "kind_label": imports.KINDS.get(pending.kind, "导入"),
        "change": preview(current, pending.report),
        "moved_on": report.draft_revision != pending.base_revision,
    }
    db.close()
    return render(request, "submit/import_preview.html", ctx)


@router.post("/reports/{report_id}/import/confirm")
def confirm(
    request: Request, report_id: Id, user: PageUser, db: DB, report: WriteReport, pending: PendingF = ""
) -> Response:
    found = imports.load_pending(_data_dir(request), pending, user_id=user.id, report_id=report.id)
    if found is None:
        flash(request, GONE, "error")
        return redirect(f"/reports/{report.id}/edit")
    try:
        notes = imports.apply_pending(db, _data_dir(request), found, actor_id=user.id)
    except ServiceError as exc:
        db.rollback()
        imports.drop_pending(_data_dir(request), found.id)
        flash(request, exc.message, "error")
        return redirect(f"/reports/{report.id}/edit")
    db.refresh(report)
    what = imports.KINDS.get(found.kind, "导入")
    source = f"“{found.filename}”" if found.filename and found.kind in ("upload", "xlsx") else ""
    msg = f"已从{source}导入报告内容。" if source else f"已完成：{what}。"
    if found.carried:
        msg += f"从上一年度报告带入了 {len(found.carried)} 个数字，已在“导入说明”中列出，请逐项核对。"
    else:
        msg += "请核对下方标出的问题。"
    return _form_page(request, db, user, report, flash=msg, import_notes=notes)


@router.post("/reports/{report_id}/import/cancel")
def cancel(
    request: Request, report_id: Id, user: PageUser, report: WriteReport, pending: PendingF = ""
) -> Response:
    imports.drop_pending(_data_dir(request), pending)
    flash(request, "已取消导入，草稿没有改变。")
    return redirect(f"/reports/{report.id}/edit")


@router.get("/reports/{report_id}/tables.xlsx")
def download_tables(request: Request, report_id: Id, user: PageUser, db: ReadDB) -> Response:
    report = report_for(db, user, report_id)
    content = data.draft_of(report)
    content.header.body_name = content.header.body_name or report.body.name
    content.header.year = content.header.year or report.season.report_year
    year = report.season.report_year
    db.close()
    name = f"{content.header.body_name}{year}年度报告表格.xlsx"
    return Response(
        tables_xlsx(content),
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=\"report-{year}-tables.xlsx\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, no-store",
        },
    )
