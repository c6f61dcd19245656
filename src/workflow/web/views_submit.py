"""The submitter's pages: the report form, upload, explanations, submit, status, withdraw, correction."""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select

from workflow.db.models import ReportRow, User
from workflow.domain.formats import FORMATS, FormatId
from workflow.domain.model import Report
from workflow.rules.sums import sum_rules
from workflow.services import drafts, review, submission
from workflow.services.errors import AlreadySubmitted, ReportExists, ServiceError, StaleVersion
from workflow.web import data, findings, forms, pagedata, review_notes
from workflow.web.contest_data import contest_views
from workflow.web.deps import DB, MAX_ID, Id, PageUser, Posted, ReadDB, SubmitterUser, WriteReport, report_for
from workflow.web.fragments import tables_html
from workflow.web.views_common import flash, redirect, render, shown_context
from workflow.web.views_drafts import explanations_of

router = APIRouter(include_in_schema=False)
EDITABLE = ("draft", "returned", "needs_fixes")


@router.get("/reports")
def my_reports(request: Request, user: SubmitterUser, db: ReadDB) -> Response:
    reports = list(db.scalars(select(ReportRow).where(ReportRow.body_id == user.body_id)))
    started = {r.season_id for r in reports}
    seasons = [s for s in data.open_seasons(db) if s.id not in started]
    return render(request, "submit/list.html", {"reports": reports, "seasons": seasons})


@router.post("/reports")
def start_report(
    request: Request, user: SubmitterUser, db: DB, season_id: Annotated[int, Form(ge=1, le=MAX_ID)]
) -> Response:
    try:
        rid = drafts.create_report(
            db, body_id=user.body_id, season_id=season_id, actor_id=user.id, content=None
        )
    except ReportExists as exc:  # a second press, or a colleague was first: open that report
        flash(request, exc.message)
        state = db.scalar(select(ReportRow.state).where(ReportRow.id == exc.report_id))
        db.rollback()
        return redirect(
            f"/reports/{exc.report_id}/edit" if state in EDITABLE else f"/reports/{exc.report_id}"
        )
    except ServiceError as exc:
        flash(request, exc.message, "error")
        return redirect("/reports")
    return redirect(f"/reports/{rid}/edit")


@cache
def sum_rules_json(fmt: FormatId) -> str:
    """The format's sum rules for the browser (form-arith.js): the server's own definitions and texts."""
    return json.dumps(sum_rules(fmt), ensure_ascii=False, separators=(",", ":"))


def _form_page(
    request: Request,
    db: Any,
    user: User,
    report: ReportRow,
    *,
    values: dict[str, str] | None = None,
    content: Report | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    """The report form.  `values` (what was typed) wins over the stored draft when given."""
    editable = report.state in EDITABLE
    memo = request.app.state.memo
    done = pagedata.facts(db, report)  # the explanations and the previous year's report
    prev = pagedata.previous_year(memo, db, done)
    if values is None and content is None and errors is None:
        # The stored draft: checked once per revision (and day, catalog, previous year), then cached.
        view, key = pagedata.checked_draft(memo, db, report, prev)
        draft, shown, shown_errors, at = view.content, view.values, view.errors, view.at
        sorted_found, counts, revision = view.findings, view.counts, view.revision
        tables_key: tuple[Any, ...] | None = (*key, editable)
        check = pagedata.check_status(memo, db, report, done)  # the count every page shows
    else:
        draft = content or data.draft_of(report)
        shown = values or forms.form_values(draft)
        if values:  # re-read what was typed, so findings describe the text on screen
            draft = forms.report_from_form(values, draft).report
        found = findings.check(draft, prev.content if prev else None)
        shown_errors = errors if errors is not None else forms.cell_errors(draft)
        at = findings.locate(found, draft)
        sorted_found, counts = findings.sort_findings(findings.anchored(found, draft)), findings.counts(found)
        revision = int((values or {}).get("revision", report.draft_revision))
        tables_key = None  # typed values or form errors on screen: never cached
        check = pagedata.CheckStatus("typed", "页面上尚未保存的内容", counts, False, report.state, 0)
    tables = tables_html(
        request,
        tables_key,
        spec=FORMATS[draft.format],
        values=shown,
        at=at,
        errors=shown_errors,
        editable=editable,
    )
    ctx = {
        "report": report,
        "draft": draft,
        "spec": FORMATS[draft.format],
        "values": shown,
        "errors": shown_errors,
        "at": at,
        "tables": tables,
        "findings": sorted_found,
        "counts": counts,
        "check": check,
        "sum_rules_json": sum_rules_json(draft.format),
        "explained": done.explained,
        "contests": contest_views(db, report.id),
        "editable": editable,
        "revision": revision,
        "max_upload_mb": request.app.state.settings.max_upload_bytes // (1024 * 1024),
        "explanation_max": drafts.EXPLANATION_MAX_CHARS,
        "notes": review_notes.load(db, report.id, FORMATS[draft.format]),  # reviewers' comments in place
        **extra,
    }
    db.close()  # the connection goes back to the pool before the page is rendered
    return render(request, "submit/form.html", ctx, status)


@router.get("/reports/{report_id}/edit")
def edit_form(request: Request, report_id: Id, user: PageUser, db: ReadDB) -> Response:
    # A form cut off by an expired session is put back by /static/app.js from this browser's own
    # storage, for the same signed-in user only: the server keeps nothing for anonymous requests.
    report = report_for(db, user, report_id, edit=True)  # in the endpoint: one checkout per view
    return _form_page(request, db, user, report)


@router.post("/reports/{report_id}/edit")
def save_form(
    request: Request, report_id: Id, user: PageUser, db: DB, report: WriteReport, form: Posted
) -> Response:
    posted = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        revision = int(posted.get("revision", ""))
    except ValueError:
        raise HTTPException(422, "表单缺少版本号，请刷新页面后重试。") from None
    parsed = forms.report_from_form(posted, data.draft_of(report))
    typed = explanations_of(posted)  # the explanations panel: saved with the draft, kept on refusal
    if parsed.fatal:
        msg = "有内容格式不正确，尚未保存，请按提示修改后再保存。"
        return _form_page(
            request,
            db,
            user,
            report,
            values=posted,
            errors=parsed.errors,
            status=422,
            flash=msg,
            flash_kind="error",
            typed=typed,
        )
    try:
        drafts.save_draft(
            db,
            report_id=report.id,
            content=parsed.report,
            expected_revision=revision,
            actor_id=user.id,
            explanations=typed or None,
        )
    except StaleVersion:
        msg = (
            "报告已被他人修改（当前版本比您打开的版本新），您的修改没有保存，也没有覆盖他人的内容。"
            "下面显示的是您刚才填写的内容，请复制需要保留的部分后刷新页面再修改。"
        )
        return _form_page(
            request,
            db,
            user,
            report,
            values=posted,
            errors=parsed.errors,
            status=409,
            flash=msg,
            flash_kind="error",
            stale=True,
            typed=typed,
        )
    except ServiceError as exc:
        return _form_page(
            request,
            db,
            user,
            report,
            values=posted,
            errors=parsed.errors,
            status=exc.code,
            flash=exc.message,
            flash_kind="error",
            typed=typed,
        )
    bad = len(parsed.errors)
    flash(
        request,
        "草稿已保存。" + (f"有 {bad} 处填写不是有效数字，已在表格中标出。" if bad else ""),
        "warn" if bad else "ok",
    )
    return redirect(f"/reports/{report.id}/edit")


@router.post("/reports/{report_id}/explain")
def explain(
    request: Request,
    report_id: Id,
    user: PageUser,
    db: DB,
    report: WriteReport,
    finding_key: Annotated[str, Form()],
    text: Annotated[str, Form()] = "",
) -> Response:
    try:
        drafts.explain_warning(db, report_id=report.id, finding_key=finding_key, text=text, actor_id=user.id)
    except ServiceError as exc:  # refused (too long, empty, already submitted): the text stays in its box
        typed = {finding_key: text}
        return _form_page(
            request, db, user, report, status=exc.code, flash=exc.message, flash_kind="error", typed=typed
        )
    flash(request, "说明已保存。")
    return redirect(f"/reports/{report.id}/edit#warnings")


@router.post("/reports/{report_id}/submit")
def submit(request: Request, report_id: Id, user: PageUser, db: DB, report: WriteReport) -> Response:
    try:
        submission.submit(db, report_id=report.id, actor_id=user.id)
    except AlreadySubmitted as exc:  # a second press: the first went through, nothing more to do
        flash(request, exc.message)
        return redirect(f"/reports/{report.id}")
    except ServiceError as exc:
        return _form_page(request, db, user, report, status=exc.code, flash=exc.message, flash_kind="error")
    flash(request, "报告已提交，系统正在校验，随后进入审核。")
    return redirect(f"/reports/{report.id}")


@router.post("/reports/{report_id}/withdraw")
def withdraw(request: Request, report_id: Id, user: PageUser, db: DB, report: WriteReport) -> Response:
    try:
        review.withdraw(db, report_id=report.id, actor_id=user.id)
        flash(request, "报告已撤回，可以继续修改。")
    except ServiceError as exc:
        flash(request, exc.message, "error")
    return redirect(f"/reports/{report.id}")


@router.post("/reports/{report_id}/correction")
def correction(
    request: Request,
    report_id: Id,
    user: PageUser,
    db: DB,
    report: WriteReport,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not reason.strip():
        flash(request, "请填写更正原因。", "error")
        return redirect(f"/reports/{report.id}")
    try:
        review.start_correction(db, report_id=report.id, reason=reason.strip(), actor_id=user.id)
    except ServiceError as exc:
        flash(request, exc.message, "error")
        return redirect(f"/reports/{report.id}")
    flash(request, "已开始更正：请修改后重新提交，审定后将发布新版本并显示更正说明。")
    return redirect(f"/reports/{report.id}/edit")


@router.get("/reports/{report_id}")
def status_page(request: Request, report_id: Id, user: PageUser, db: ReadDB) -> Response:
    # The scope check runs here, in the endpoint: one database checkout per page view.
    report = report_for(db, user, report_id)
    memo = request.app.state.memo
    s = pagedata.shown(memo, db, report)
    check = pagedata.check_status(memo, db, report, s.facts)  # the same count as the form's
    ctx = (
        shown_context(request, s)
        | _draft_check_context(request, s, check)
        | {
            "report": report,
            "check": check,
            "versions": pagedata.version_numbers(memo, db, report),
            "contests": contest_views(db, report.id),
            "notes": review_notes.load(db, report.id, s.content.spec),
        }
    )
    db.close()  # the connection goes back to the pool before the page is rendered
    return render(request, "submit/status.html", ctx)


def _draft_check_context(request: Request, s: pagedata.Shown, check: pagedata.CheckStatus) -> dict[str, Any]:
    """While the clerk can edit, the status page lists the draft's findings (the form's), and shows
    them on the draft's tables when nothing was submitted yet."""
    view = check.draft
    if view is None:
        return {}
    out: dict[str, Any] = {"findings": view.findings}
    if s.version is None:
        out["tables"] = tables_html(  # not cached: the findings depend on the day as well
            request, None, spec=view.content.spec, values=view.values, at=view.at, errors={}
        )
    return out
