"""Nothing typed is lost (issue #15.1, #15.4): the form's autosave, its conflicts, and 历史版本.

- POST /reports/{id}/autosave: the form's fields (and the explanations panel's, ``explain.<key>``) sent
  by /static/form-save.js with the X-CSRF-Token header and the revision the page is based on; answers
  JSON: saved (new revision, time), refused (why; nothing stored, the page keeps what was typed) or
  conflict (both versions of every differing field; nothing stored).
- GET /reports/{id}/history: every saved revision (time, who, how, what changed in short).
- GET /reports/{id}/history/{revision}: that revision compared with the current draft.
- POST /reports/{id}/history/{revision}/restore: a new save of that revision's content (undoable).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from workflow.clock import SHANGHAI, now
from workflow.db.models import DraftRevision, ReportRow, User
from workflow.domain import revisions as revision_diff
from workflow.domain.model import Report
from workflow.services import drafts
from workflow.services.errors import ServiceError, StaleVersion
from workflow.web import data, forms
from workflow.web.deps import DB, MAX_ID, Id, PageUser, Posted, ReadDB, WriteReport, report_for
from workflow.web.views_common import flash, redirect, render

router = APIRouter(include_in_schema=False)
EDITABLE = ("draft", "returned", "needs_fixes")
EXPLAIN_PREFIX = "explain."
KIND_LABELS = {
    "create": "开始填报",
    "save": "保存草稿",
    "autosave": "自动保存",
    "import": "从文件导入",
    "restore": "恢复历史版本",
}
Revision = Annotated[int, Path(ge=1, le=MAX_ID)]


def _hhmm() -> str:
    return now().astimezone(SHANGHAI).strftime("%H:%M")


def explanations_of(posted: dict[str, str]) -> dict[str, str]:
    """The explanations panel's boxes in a posted form: finding key -> text."""
    return {k[len(EXPLAIN_PREFIX) :]: v for k, v in posted.items() if k.startswith(EXPLAIN_PREFIX)}


def _names(db: Any, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.execute(select(User.id, User.display_name, User.username).where(User.id.in_(wanted)))
    return {uid: display or username for uid, display, username in rows}


def _json(code: int, **body: Any) -> JSONResponse:
    return JSONResponse(body, status_code=code, headers={"Cache-Control": "no-store"})


@router.post("/reports/{report_id}/autosave")
def autosave(
    request: Request, report_id: Id, user: PageUser, db: DB, report: WriteReport, form: Posted
) -> Response:
    posted = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        revision = int(posted.get("revision", ""))
    except ValueError:
        return _json(422, status="refused", message="页面缺少版本号，请复制您填写的内容后刷新页面。")
    explained = explanations_of(posted)
    stored = data.draft_of(report)
    current_revision = report.draft_revision
    parsed = forms.report_from_form(posted, stored)
    if parsed.fatal:
        return _json(
            422,
            status="refused",
            message="有内容格式不正确（已在表中标出），请按提示修改；修改后会自动保存。",
            errors=parsed.errors,
        )
    try:
        if parsed.report.to_dict() == stored.to_dict():
            # The tables and text are those stored (only explanations changed, or another tab saved
            # the very same): no new draft revision, the explanations alone.
            if explained:
                drafts.explain_warnings(db, report_id=report.id, texts=explained, actor_id=user.id)
            new_revision = current_revision
        else:
            new_revision = drafts.save_draft(
                db,
                report_id=report.id,
                content=parsed.report,
                expected_revision=revision,
                actor_id=user.id,
                kind="autosave",
                explanations=explained or None,
            )
    except StaleVersion:
        db.rollback()
        return _conflict(db, report.id, parsed.report)
    except ServiceError as exc:
        return _json(exc.code if exc.code >= 400 else 409, status="refused", message=exc.message)
    bad = len(parsed.errors)
    message = f"有 {bad} 处不是有效数字，已照原样保存并在表中标出，请改正。" if bad else ""
    return _json(
        200,
        status="saved",
        revision=new_revision,
        saved_at=_hhmm(),
        errors=parsed.errors,
        message=message,
    )


def _conflict(db: Any, report_id: int, mine: Report) -> Response:
    """Another tab or person saved first: both versions of each differing field, nothing stored."""
    row = db.get(ReportRow, report_id)
    theirs = data.draft_of(row)
    latest = drafts.last_revision(db, report_id, row.draft_revision)
    who = _names(db, {latest.saved_by_id}).get(latest.saved_by_id or 0, "") if latest else ""
    when = latest.saved_at.astimezone(SHANGHAI).strftime("%H:%M") if latest else ""
    diffs = revision_diff.differences(theirs, mine)
    shown = [{"name": d.name, "label": d.label, "mine": d.new, "theirs": d.old} for d in diffs[:50]]
    by = f"（{who}，{when}）" if who and when else ""
    return _json(
        409,
        status="conflict",
        message=(
            f"这份报告刚被另一个窗口或他人保存过{by}，您的修改没有保存，也没有覆盖对方的内容。"
            "请对照下面两种内容，选择保留哪一种。"
        ),
        current_revision=row.draft_revision,
        differences=shown,
        more=max(0, len(diffs) - len(shown)),
    )


@router.get("/reports/{report_id}/history")
def history(request: Request, report_id: Id, user: PageUser, db: ReadDB) -> Response:
    report = report_for(db, user, report_id)
    rows = drafts.revision_list(db, report.id)
    names = _names(db, {r.saved_by_id for r in rows})
    ctx = {
        "report": report,
        "rows": rows,
        "names": names,
        "kinds": KIND_LABELS,
        "editable": report.state in EDITABLE and user.role in ("submitter", "admin"),
        "current": report.draft_revision,
    }
    db.close()
    return render(request, "submit/history.html", ctx)


@router.get("/reports/{report_id}/history/{revision}")
def history_revision(
    request: Request, report_id: Id, revision: Revision, user: PageUser, db: ReadDB
) -> Response:
    report = report_for(db, user, report_id)
    row = db.scalar(
        select(DraftRevision).where(DraftRevision.report_id == report.id, DraftRevision.revision == revision)
    )
    if row is None:
        raise HTTPException(
            404, "找不到这次保存的内容（较早的自动保存按小时合并了），请返回历史版本列表另选。"
        )
    then = Report.from_dict(row.content)
    current = data.draft_of(db.get(ReportRow, report.id))
    ctx = {
        "report": report,
        "row": row,
        "who": _names(db, {row.saved_by_id}).get(row.saved_by_id or 0, ""),
        "kinds": KIND_LABELS,
        "differences": revision_diff.differences(current, then),
        "editable": report.state in EDITABLE and user.role in ("submitter", "admin"),
        "current": report.draft_revision,
    }
    db.close()
    return render(request, "submit/history_revision.html", ctx)


@router.post("/reports/{report_id}/history/{revision}/restore")
def restore(
    request: Request,
    report_id: Id,
    revision: Revision,
    user: PageUser,
    db: DB,
    report: WriteReport,
    base_revision: Annotated[int, Form(ge=0, le=MAX_ID)] = 0,
) -> Response:
    try:
        new = drafts.restore_revision(
            db, report_id=report.id, revision=revision, expected_revision=base_revision, actor_id=user.id
        )
    except StaleVersion:
        flash(request, "草稿刚刚又被保存过，列表已更新，请重新选择要恢复的版本。", "error")
        return redirect(f"/reports/{report.id}/history")
    except ServiceError as exc:
        flash(request, exc.message, "error")
        return redirect(f"/reports/{report.id}/history")
    flash(
        request,
        f"已恢复第 {revision} 次保存的内容（这次恢复也记作一次保存，即第 {new} 次，可在历史版本中撤销）。",
    )
    return redirect(f"/reports/{report.id}/edit")
