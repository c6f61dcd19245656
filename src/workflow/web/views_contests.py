"""Contesting a checker error: the clerk raises or withdraws a contest, the reviewer accepts or rejects it.

A refusal (no reason, the error is gone, the report was submitted meanwhile, a rejection without a
comment) shows the page again with the message and with what was typed still in its box."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from workflow.services import contests
from workflow.services.errors import ServiceError
from workflow.web.deps import DB, Id, PageUser, ReviewReport, WriteReport
from workflow.web.views_common import flash, redirect, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=contests.MAX_REASON + 200)]
Key = Annotated[str, Form(max_length=200)]


@router.post("/reports/{report_id}/contest")
def contest(
    request: Request,
    report_id: Id,
    user: PageUser,
    db: DB,
    report: WriteReport,
    finding_key: Key,
    reason: Text = "",
) -> Response:
    try:
        contests.contest_error(
            db, report_id=report.id, finding_key=finding_key, reason=reason, actor_id=user.id
        )
    except ServiceError as exc:
        from workflow.web.views_submit import _form_page

        db.rollback()
        return _form_page(
            request,
            db,
            user,
            report,
            flash=exc.message,
            flash_kind="error",
            contest_typed={finding_key: reason},
            status=exc.code,
        )
    flash(request, "异议已提出。报告可以带着这条异议提交，审核人会决定接受或驳回。")
    return redirect(f"/reports/{report.id}/edit#contests")


@router.post("/reports/{report_id}/contest/withdraw")
def withdraw(
    request: Request, report_id: Id, user: PageUser, db: DB, report: WriteReport, finding_key: Key
) -> Response:
    try:
        contests.withdraw_contest(db, report_id=report.id, finding_key=finding_key, actor_id=user.id)
        flash(request, "异议已撤回。")
    except ServiceError as exc:
        flash(request, exc.message, "error")
    return redirect(f"/reports/{report.id}/edit#contests")


@router.post("/review/{report_id}/contest")
def decide(
    request: Request,
    report_id: Id,
    user: PageUser,
    db: DB,
    report: ReviewReport,
    finding_key: Key,
    decision: Annotated[str, Form(max_length=10)] = "",
    comment: Text = "",
) -> Response:
    try:
        if decision not in ("accept", "reject"):
            raise ServiceError("请选择“接受异议”或“驳回异议”", code=422)
        status = contests.decide_contest(
            db,
            report_id=report.id,
            finding_key=finding_key,
            accept=decision == "accept",
            comment=comment,
            reviewer_id=user.id,
        )
    except ServiceError as exc:
        from workflow.web.views_review import _report_context

        db.rollback()
        ctx = _report_context(request, db, report) | {
            "flash": exc.message,
            "flash_kind": "error",
            "contest_typed": {finding_key: comment},
        }
        return render(request, "review/report.html", ctx, exc.code)
    flash(
        request, "已接受该异议。" if status == "accepted" else "已驳回该异议，请退回报告并说明需要改正之处。"
    )
    return redirect(f"/review/{report.id}#contests")
