"""The JSON API: the same actions as the pages, for scripts and other systems.

Authentication: a personal API token (`Authorization: Bearer …`, created on 我的账户; no cookie, no CSRF
token — workflow.web.tokens), or the browser's session cookie (sign in through /login), whose unsafe
methods also need the session's CSRF token in the X-CSRF-Token header (GET /api/me returns it).
Errors are {"detail": "<Chinese>"}.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from workflow.clock import now
from workflow.db.models import Body, ReportRow
from workflow.domain.model import Report
from workflow.services import drafts, review, submission
from workflow.services.errors import ReportExists, ServiceError
from workflow.web import dashboard, forms, pagedata
from workflow.web.deps import (
    DB,
    MAX_ID,
    ApiAdmin,
    ApiReadReport,
    ApiReviewer,
    ApiReviewReport,
    ApiSubmitter,
    ApiUser,
    ApiWriteReport,
    Id,
)
from workflow.web.security import csrf_token
from workflow.web.views_admin import pick_season
from workflow.web.views_review import queue_rows

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "未登录"},
    403: {"description": "无权限"},
    404: {"description": "不存在"},
    409: {"description": "状态冲突或版本过期"},
    422: {"description": "请求内容不正确"},
}
router = APIRouter(prefix="/api", tags=["api"], responses=ERRORS)


class Me(BaseModel):
    id: int
    username: str
    role: str
    body_id: int | None
    jurisdiction_id: int | None
    csrf_token: str


class ReportSummary(BaseModel):
    id: int
    body_id: int
    body_name: str
    report_year: int
    state: str
    draft_revision: int
    latest_version: int


class ReportDetail(ReportSummary):
    draft: dict[str, Any]
    findings: list[dict[str, Any]]
    explanations: dict[str, str]


class CheckProgress(BaseModel):
    step: int
    of: int
    text: str


class CheckStatusOut(BaseModel):
    source: Literal["draft", "version"]
    label: str
    counts: dict[str, int] | None
    checking: bool
    state: str
    version: int
    progress: CheckProgress


class DraftIn(BaseModel):
    content: dict[str, Any]
    expected_revision: int = Field(ge=0, le=MAX_ID)


class Revision(BaseModel):
    revision: int


class ExplanationIn(BaseModel):
    finding_key: str = Field(min_length=1, max_length=200)
    # Checked by drafts.explain_warning (one limit, one message for the form and the API); shown here.
    text: str = Field(min_length=1, json_schema_extra={"maxLength": drafts.EXPLANATION_MAX_CHARS})


class CellCommentIn(BaseModel):
    """A comment on one table cell: the table id (t2, t3, t4), row key and column key of the format."""

    table: str = Field(min_length=1, max_length=20)
    row: str = Field(min_length=1, max_length=60)
    column: str = Field(min_length=1, max_length=60)
    text: str = Field(min_length=1, max_length=review.COMMENT_MAX_CHARS)


class DecisionIn(BaseModel):
    decision: Literal["approve", "return"]
    expected_version: int = Field(ge=1, le=MAX_ID)
    reason_codes: list[str] = Field(default_factory=list, max_length=20)
    comments: dict[Literal["1", "2", "3", "4", "5", "6", "general"], str] = Field(default_factory=dict)
    cells: list[CellCommentIn] = Field(default_factory=list, max_length=200)
    # The review stage the decision is meant for (0 = first): a repeated request after the report
    # moved on is refused ("已决定") instead of deciding the next stage too.
    expected_stage: int | None = Field(default=None, ge=0, le=99)


class StartIn(BaseModel):
    season_id: int = Field(ge=1, le=MAX_ID)


class StateOut(BaseModel):
    state: str


class QueueItem(BaseModel):
    id: int
    body_name: str
    state: str
    due: str
    stage: str


class Dashboard(BaseModel):
    report_year: int
    counts: dict[str, int]
    bodies: list[dict[str, Any]]


def _service(fn: Any, **kwargs: Any) -> Any:
    try:
        return fn(**kwargs)
    except ServiceError as exc:
        raise HTTPException(exc.code, exc.message) from None


def _summary(r: ReportRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "body_id": r.body_id,
        "body_name": r.body.name,
        "report_year": r.season.report_year,
        "state": r.state,
        "draft_revision": r.draft_revision,
        "latest_version": r.latest_version,
    }


@router.get("/me", response_model=Me, summary="当前用户（含 CSRF 令牌）")
def me(request: Request, user: ApiUser) -> Me:
    return Me(
        id=user.id,
        username=user.username,
        role=user.role,
        body_id=user.body_id,
        jurisdiction_id=user.jurisdiction_id,
        csrf_token=csrf_token(request),
    )


@router.get("/reports", response_model=list[ReportSummary], summary="我能看到的报告")
def list_reports(
    user: ApiUser,
    db: DB,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> list[dict[str, Any]]:
    q = select(ReportRow).join(Body, Body.id == ReportRow.body_id)
    if user.role == "submitter":
        q = q.where(ReportRow.body_id == user.body_id)
    elif user.role == "reviewer":
        q = q.where(Body.jurisdiction_id == user.jurisdiction_id)
    return [_summary(r) for r in db.scalars(q.order_by(ReportRow.id).limit(limit).offset(offset))]


@router.post(
    "/reports",
    response_model=ReportSummary,
    status_code=201,
    summary="开始填报（已开始的返回现有报告，200）",
    responses={200: {"description": "本单位该年度的报告已经开始填报：返回现有报告"}},
)
def start_report(body: StartIn, user: ApiSubmitter, db: DB, response: Response) -> dict[str, Any]:
    if user.body_id is None:
        raise HTTPException(403, "您的账户没有所属单位，不能开始填报，请联系管理员")
    try:
        rid = drafts.create_report(db, body_id=user.body_id, season_id=body.season_id, actor_id=user.id)
    except ReportExists as exc:  # a second request, or a colleague was first: the existing report
        rid = exc.report_id
        response.status_code = 200
    except ServiceError as exc:
        raise HTTPException(exc.code, exc.message) from None
    report = db.get(ReportRow, rid)
    assert report is not None
    return _summary(report)


@router.get("/reports/{report_id}", response_model=ReportDetail, summary="报告详情（草稿与校验结果）")
def get_report(
    request: Request, report_id: Id, user: ApiUser, db: DB, report: ApiReadReport
) -> dict[str, Any]:
    # What the report form shows: the draft checked against the previous year's report.
    memo = request.app.state.memo
    done = pagedata.facts(db, report)
    view, _ = pagedata.checked_draft(memo, db, report, pagedata.previous_year(memo, db, done))
    return _summary(report) | {
        "draft": view.content.to_dict(),
        "findings": view.found,
        "explanations": done.explained,
    }


@router.get(
    "/reports/{report_id}/check-status",
    response_model=CheckStatusOut,
    summary="校验进度与错误、警告数（与填写页、状态页一致）",
)
def get_check_status(
    request: Request, report_id: Id, user: ApiUser, db: DB, report: ApiReadReport
) -> dict[str, Any]:
    # The one count every page shows; the form and status pages poll it while the workers check.
    return pagedata.check_status(request.app.state.memo, db, report).to_json()


@router.put("/reports/{report_id}/draft", response_model=Revision, summary="保存草稿（需当前版本号）")
def put_draft(report_id: Id, body: DraftIn, user: ApiUser, db: DB, report: ApiWriteReport) -> Revision:
    try:
        content = Report.from_dict(body.content)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise HTTPException(422, f"报告内容格式不正确：{type(exc).__name__}") from None
    _refuse_bad_numbers(content)
    rev = _service(
        drafts.save_draft,
        session=db,
        report_id=report.id,
        content=content,
        expected_revision=body.expected_revision,
        actor_id=user.id,
    )
    return Revision(revision=rev)


def _refuse_bad_numbers(content: Report) -> None:
    """Numbers come in through the one reader (domain/numbers.py): a cell that is not an acceptable
    number for its column (an exponent, a 5,000-digit run, NaN, a JSON float such as 1e308) or a
    report year that is not one is refused with the cells named, and nothing is stored."""
    year = content.header.year
    refused = [] if year is None or (type(year) is int and 1900 <= year <= 2100) else ["报告年度应为四位年份"]
    refused += forms.refusals(content)
    if refused:
        more = f"；等共 {len(refused)} 处" if len(refused) > 10 else ""
        raise HTTPException(422, "草稿未保存，以下内容不是有效的数字：" + "；".join(refused[:10]) + more)


@router.post("/reports/{report_id}/explanations", response_model=StateOut, summary="说明一条警告")
def post_explanation(
    report_id: Id, body: ExplanationIn, user: ApiUser, db: DB, report: ApiWriteReport
) -> StateOut:
    _service(
        drafts.explain_warning,
        session=db,
        report_id=report.id,
        finding_key=body.finding_key,
        text=body.text,
        actor_id=user.id,
    )
    return StateOut(state=report.state)


@router.post("/reports/{report_id}/submit", response_model=StateOut, summary="提交审核")
def post_submit(report_id: Id, user: ApiUser, db: DB, report: ApiWriteReport) -> StateOut:
    _service(submission.submit, session=db, report_id=report.id, actor_id=user.id)
    db.refresh(report)
    return StateOut(state=report.state)


@router.post("/reports/{report_id}/withdraw", response_model=StateOut, summary="撤回")
def post_withdraw(report_id: Id, user: ApiUser, db: DB, report: ApiWriteReport) -> StateOut:
    return StateOut(state=_service(review.withdraw, session=db, report_id=report.id, actor_id=user.id))


@router.post("/reports/{report_id}/decision", response_model=StateOut, summary="审核决定：通过或退回")
def post_decision(
    report_id: Id, body: DecisionIn, user: ApiUser, db: DB, report: ApiReviewReport
) -> StateOut:
    comments = {(None if k == "general" else int(k)): v for k, v in body.comments.items() if v.strip()}
    state = _service(
        review.decide,
        session=db,
        report_id=report.id,
        reviewer_id=user.id,
        decision=body.decision,
        expected_version=body.expected_version,
        reason_codes=body.reason_codes,
        comments=comments,
        expected_stage=body.expected_stage,
        cell_comments=[review.CellComment(c.table, c.row, c.column, c.text) for c in body.cells],
    )
    return StateOut(state=state)


@router.get("/review/queue", response_model=list[QueueItem], summary="审核队列")
def get_queue(
    user: ApiReviewer, db: DB, state: Annotated[str, Query(max_length=20)] = "in_review"
) -> list[QueueItem]:
    return [
        QueueItem(
            id=r["report"].id,
            body_name=r["report"].body.name,
            state=r["report"].state,
            due=r["due"].isoformat(),
            stage=r["stage"],
        )
        for r in queue_rows(db, user, state or None)
    ]


@router.get("/dashboard", response_model=Dashboard, summary="各单位报送情况（区政务公开办）")
def get_dashboard(
    user: ApiAdmin, db: DB, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> Dashboard:
    season = pick_season(db, year)
    rows = dashboard.season_status(db, season, now().date())
    return Dashboard(
        report_year=season.report_year,
        counts=dashboard.count(rows),
        bodies=[
            {
                "body_id": r.body.id,
                "name": r.body.name,
                "status": r.status,
                "overdue": r.overdue,  # "" | "late" (not published, past due) | "published_late"
                "due": r.due.isoformat(),
                "published_on": r.published_on.isoformat() if r.published_on else None,
                "report_id": r.report_id,
            }
            for r in rows
        ],
    )
