"""The reviewer's pages: the queue, one report with findings, explanations and diffs, decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, defer, joinedload

from workflow.db.models import Body, ReportRow, User
from workflow.domain.states import stage_label
from workflow.services import review
from workflow.services.errors import ServiceError
from workflow.web import deadlines, pagedata
from workflow.web.contest_data import contest_views
from workflow.web.deps import DB, Id, PageUser, Posted, ReadDB, ReviewerUser, ReviewReport, reviewer_for
from workflow.web.reasons import REASON_CODES
from workflow.web.views_common import flash, redirect, render, shown_context

router = APIRouter(include_in_schema=False)

QUEUE_STATES = ("in_review", "submitted", "checking", "needs_fixes", "returned", "approved", "published")


def queue_rows(db: Session, user: User, state: str | None) -> list[dict[str, Any]]:
    """Reports the reviewer may see, with their due date; oldest deadline first."""
    # The body and season come in the same statement, the draft (a big JSON document) not at all:
    # loading 300 drafts and then each body lazily made this page 2 s at the 95th percentile under
    # bench/season's 300 users.
    q = (
        select(ReportRow)
        .join(Body, Body.id == ReportRow.body_id)
        .options(defer(ReportRow.draft), contains_eager(ReportRow.body), joinedload(ReportRow.season))
    )
    if user.role != "admin":
        q = q.where(Body.jurisdiction_id == user.jurisdiction_id)
    q = q.where(ReportRow.state == state) if state else q.where(ReportRow.state.in_(QUEUE_STATES))
    rows = []
    due_cache = deadlines.DueDates(db)
    for r in db.scalars(q.order_by(ReportRow.state_changed_at).limit(2000)):
        stages = r.season.stages or []
        stage = stages[r.review_stage] if r.review_stage < len(stages) else ""
        rows.append(
            {
                "report": r,
                "due": due_cache.due(r.body, r.season),
                "stage": stage_label(stage) if stage else "",
                "mine": user.review_stage in (None, stage),
            }
        )
    rows.sort(key=lambda x: (x["due"] or date.max, x["report"].state_changed_at))
    return rows


@router.get("/review")
def queue(request: Request, user: ReviewerUser, db: ReadDB, state: str = "in_review") -> Response:
    if state and state not in QUEUE_STATES:
        raise HTTPException(422, "未知的状态筛选条件。")
    rows = queue_rows(db, user, state or None)
    return render(request, "review/queue.html", {"rows": rows, "state": state, "states": QUEUE_STATES})


def _report_context(request: Request, db: Session, report: ReportRow) -> dict[str, Any]:
    memo = request.app.state.memo
    s = pagedata.shown(memo, db, report)
    prev_version = pagedata.version(memo, db, report.id, report.latest_version - 1)
    last_year = pagedata.previous_year(memo, db, s.facts)
    stages = report.season.stages or []
    return shown_context(request, s) | {
        "report": report,
        "values": s.values,
        "at": s.at,
        "diff_prev": pagedata.diff(memo, prev_version, s.content_key, s.content),
        "diff_year": pagedata.diff(memo, last_year, s.content_key, s.content),
        "reasons": REASON_CODES,
        "contests": contest_views(db, report.id),
        "can_decide_contests": report.state == "in_review",
        "stage": stage_label(stages[report.review_stage]) if report.review_stage < len(stages) else "",
    }


@router.get("/review/{report_id}")
def review_page(request: Request, report_id: Id, user: ReviewerUser, db: ReadDB) -> Response:
    report = reviewer_for(db, user, report_id)  # in the endpoint: one database checkout per view
    ctx = _report_context(request, db, report)
    db.close()  # the connection goes back to the pool before the page is rendered
    return render(request, "review/report.html", ctx)


@router.post("/review/{report_id}/decide")
def decide(
    request: Request, report_id: Id, user: PageUser, db: DB, report: ReviewReport, form: Posted
) -> Response:
    decision = str(form.get("decision", ""))
    try:
        expected = int(str(form.get("version", "")))
    except ValueError:
        raise HTTPException(422, "表单缺少版本号，请刷新页面后重试。") from None
    stage_field = str(form.get("stage", ""))
    expected_stage = (
        int(stage_field) if stage_field.isascii() and stage_field.isdigit() and len(stage_field) < 4 else None
    )
    comments: dict[int | None, str] = {}
    for n in range(1, 7):
        text = str(form.get(f"comment.{n}", "")).strip()
        if text:
            comments[n] = text
    general = str(form.get("comment.general", "")).strip()
    if general:
        comments[None] = general
    reasons = [str(r) for r in form.getlist("reason") if str(r) in REASON_CODES]
    try:
        state = review.decide(
            db,
            report_id=report.id,
            reviewer_id=user.id,
            decision=decision,
            expected_version=expected,
            reason_codes=reasons,
            comments=comments,
            expected_stage=expected_stage,
        )
    except ServiceError as exc:
        ctx = _report_context(request, db, report) | {
            "flash": exc.message,
            "flash_kind": "error",
            "typed": comments,
        }
        return render(request, "review/report.html", ctx, exc.code)
    flash(
        request,
        "已退回，报送单位会收到您的意见。" if decision == "return" else f"已通过（当前状态：{state}）。",
    )
    return redirect("/review")


@router.post("/review/bulk-approve")
def bulk_approve(request: Request, user: ReviewerUser, db: DB, form: Posted) -> Response:
    """Approve several clean reports at once: each is decided on its own; failures are listed."""
    done, failed = 0, []
    for item in form.getlist("pick"):
        try:
            rid, ver = (int(x) for x in str(item).split(":", 1))
        except ValueError:
            continue
        try:
            reviewer_for(db, user, rid)
            review.decide(db, report_id=rid, reviewer_id=user.id, decision="approve", expected_version=ver)
            done += 1
        except (ServiceError, HTTPException) as exc:
            failed.append(f"报告 {rid}：{getattr(exc, 'message', None) or getattr(exc, 'detail', '')}")
    msg = f"已通过 {done} 份报告。" + ("未通过：" + "；".join(failed) if failed else "")
    flash(request, msg, "warn" if failed else "ok")
    return redirect("/review")
