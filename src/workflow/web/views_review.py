"""The reviewer's pages: the queue, one report with findings, explanations and diffs, decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, defer, joinedload

from workflow.clock import now
from workflow.db.models import Body, FindingContest, ReportRow, ReportVersion, User, WarningExplanation
from workflow.domain.bodies import BODY_TYPE_LABELS
from workflow.domain.formats import FORMATS
from workflow.domain.states import STAGE_LABELS, STATE_LABELS, ReportState, stage_label
from workflow.services import review
from workflow.services.errors import ServiceError
from workflow.web import deadlines, pagedata, review_notes
from workflow.web.contest_data import contest_views
from workflow.web.deps import DB, Id, PageUser, Posted, ReadDB, ReviewerUser, ReviewReport, reviewer_for
from workflow.web.diff import text_diff
from workflow.web.fragments import tables_html
from workflow.web.reasons import REASON_CODES
from workflow.web.views_common import flash, redirect, render, shown_context

router = APIRouter(include_in_schema=False)

QUEUE_STATES = ("in_review", "submitted", "checking", "needs_fixes", "returned", "approved", "published")
SORTS = {"due": "截止日期", "submitted": "提交时间", "body": "单位名称"}
BODY_TYPES = {k.value: v for k, v in BODY_TYPE_LABELS.items()}
COMPARES = ("prev", "year", "none")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    state: str = "in_review"
    q: str = ""
    stage: str = ""
    body_type: str = ""
    overdue: bool = False
    explained: bool = False
    sort: str = "due"

    @property
    def active(self) -> bool:
        return bool(self.q or self.stage or self.body_type or self.overdue or self.explained)


def days_late(due: date | None, report: ReportRow, today: date) -> int:
    """Days past the due date: until publication, or at publication for a published report."""
    if due is None:
        return 0
    if report.state == ReportState.PUBLISHED.value:
        at = report.first_published_at
        return max(0, (at.date() - due).days) if at else 0
    return max(0, (today - due).days)


def _ids_with(db: Session, column: Any, ids: list[int]) -> set[int]:
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        found.update(db.scalars(select(column).where(column.in_(ids[start : start + 500])).distinct()))
    return found


def _submitted_at(db: Session, rows: list[ReportRow]) -> dict[int, datetime]:
    wanted = {(r.id, r.latest_version) for r in rows if r.latest_version}
    ids = sorted({rid for rid, _ in wanted})
    out: dict[int, datetime] = {}
    for start in range(0, len(ids), 500):
        q = select(ReportVersion.report_id, ReportVersion.number, ReportVersion.submitted_at).where(
            ReportVersion.report_id.in_(ids[start : start + 500])
        )
        for rid, number, at in db.execute(q):
            if (rid, number) in wanted:
                out[rid] = at
    return out


def queue_rows(
    db: Session, user: User, state: str | None, flt: QueueFilter | None = None
) -> list[dict[str, Any]]:
    """Reports the reviewer may see, with their due date, filtered and sorted (oldest deadline first)."""
    flt = flt or QueueFilter(state=state or "")
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
    if flt.q:
        q = q.where(Body.name.contains(flt.q, autoescape=True))
    if flt.body_type:
        q = q.where(Body.body_type == flt.body_type)
    reports = list(db.scalars(q.order_by(ReportRow.state_changed_at).limit(2000)))
    ids = [r.id for r in reports]
    explained = _ids_with(db, WarningExplanation.report_id, ids) if ids else set()
    contested = _ids_with(db, FindingContest.report_id, ids) if ids else set()
    submitted = _submitted_at(db, reports)
    today = now().date()
    rows = []
    due_cache = deadlines.DueDates(db)
    for r in reports:
        stages = r.season.stages or []
        stage = stages[r.review_stage] if r.review_stage < len(stages) else ""
        due = due_cache.due(r.body, r.season)
        row = {
            "report": r,
            "due": due,
            "stage_key": stage if r.state == ReportState.IN_REVIEW.value else "",
            "stage": stage_label(stage) if stage else "",
            "mine": user.review_stage in (None, stage),
            "late": days_late(due, r, today),
            "submitted_at": submitted.get(r.id),
            "explained": r.id in explained,
            "contested": r.id in contested,
        }
        if flt.stage and row["stage_key"] != flt.stage:
            continue
        if flt.overdue and not row["late"]:
            continue
        if flt.explained and not (row["explained"] or row["contested"]):
            continue
        rows.append(row)
    if flt.sort == "submitted":
        rows.sort(key=lambda x: (x["submitted_at"] or datetime.max, x["report"].id))
    elif flt.sort == "body":
        rows.sort(key=lambda x: (x["report"].body.name, x["report"].season.report_year))
    else:
        rows.sort(key=lambda x: (x["due"] or date.max, x["report"].state_changed_at))
    return rows


@router.get("/review")
def queue(
    request: Request,
    user: ReviewerUser,
    db: ReadDB,
    state: str = "in_review",
    q: str = "",
    stage: str = "",
    body_type: str = "",
    overdue: str = "",
    explained: str = "",
    sort: str = "due",
) -> Response:
    if state and state not in QUEUE_STATES:
        raise HTTPException(422, "未知的状态筛选条件，请从列表中选择。")
    flt = QueueFilter(
        state=state,
        q=q.strip()[:100],
        stage=stage if stage in STAGE_LABELS else "",
        body_type=body_type if body_type in BODY_TYPES else "",
        overdue=overdue == "1",
        explained=explained == "1",
        sort=sort if sort in SORTS else "due",
    )
    rows = queue_rows(db, user, state or None, flt)
    db.close()
    return render(
        request,
        "review/queue.html",
        {
            "rows": rows,
            "state": state,
            "states": QUEUE_STATES,
            "flt": flt,
            "sorts": SORTS,
            "stages": STAGE_LABELS,
            "body_types": BODY_TYPES,
            "today": now().date(),
        },
    )


def _compare_choice(asked: str, has_prev: bool, has_year: bool) -> str:
    if asked == "prev" and has_prev or asked == "year" and has_year or asked == "none":
        return asked
    return "prev" if has_prev else ("year" if has_year else "none")


def _report_context(request: Request, db: Session, report: ReportRow, compare: str = "") -> dict[str, Any]:
    memo = request.app.state.memo
    s = pagedata.shown(memo, db, report)
    prev_version = pagedata.version(memo, db, report.id, report.latest_version - 1)
    last_year = pagedata.previous_year(memo, db, s.facts)
    stages = report.season.stages or []
    compare = _compare_choice(compare, prev_version is not None, last_year is not None)
    old = {"prev": prev_version, "year": last_year}.get(compare)
    diff = pagedata.diff(memo, old, s.content_key, s.content) if old else None
    ctx = shown_context(request, s)
    if old is not None and diff is not None:
        ctx["tables"] = tables_html(
            request,
            (*s.view_key, "compare", old.id),
            spec=s.content.spec,
            values=s.values,
            at=s.at,
            errors={},
            changes=diff.cells,
        )
    spec = s.content.spec
    due = deadlines.DueDates(db).due(report.body, report.season)
    preamble_diff, signature_was = None, None
    if old is not None:
        if old.content.preamble != s.content.preamble:
            preamble_diff = text_diff(old.content.preamble, s.content.preamble)
        if old.content.header.signature != s.content.header.signature:
            signature_was = old.content.header.signature or "（空）"
    return ctx | {
        "report": report,
        "values": s.values,
        "at": s.at,
        "compare": compare,
        "compare_old": old,
        "prev_version": prev_version,
        "last_year": last_year,
        "last_year_year": report.season.report_year - 1,
        "diff": diff,
        "preamble_diff": preamble_diff,
        "signature_was": signature_was,
        "notes": review_notes.load(db, report.id, spec),
        "cell_choices": {n: review_notes.cell_choices(spec, n) for n in range(1, 7)},
        "reasons": REASON_CODES,
        "contests": contest_views(db, report.id),
        "can_decide_contests": report.state == "in_review",
        "stage": stage_label(stages[report.review_stage]) if report.review_stage < len(stages) else "",
        "final_stage": report.review_stage >= len(stages) - 1,
        "due": due,
        "late": days_late(due, report, now().date()),
    }


@router.get("/review/{report_id}")
def review_page(
    request: Request, report_id: Id, user: ReviewerUser, db: ReadDB, compare: str = ""
) -> Response:
    report = reviewer_for(db, user, report_id)  # in the endpoint: one database checkout per view
    ctx = _report_context(request, db, report, compare)
    db.close()  # the connection goes back to the pool before the page is rendered
    return render(request, "review/report.html", ctx)


@dataclass
class Typed:
    """What the reviewer typed into the decision form, put back on the page when it is refused."""

    comments: dict[int | None, str]
    cells: list[tuple[str, str]]  # (anchor, text)
    reasons: list[str]
    shown_notes: set[int]
    resolved: set[int]

    def cells_of(self, section: int) -> list[tuple[str, str]]:
        return [(a, t) for a, t in self.cells if _section_of(a) == section]

    @property
    def unplaced_cells(self) -> list[tuple[str, str]]:
        return [(a, t) for a, t in self.cells if _section_of(a) is None]


_TABLE_SECTIONS = {t.id: t.section for f in FORMATS.values() for t in f.tables}


def _section_of(anchor: str) -> int | None:
    return _TABLE_SECTIONS.get(anchor.split(".", 1)[0]) if anchor.count(".") == 2 else None


def _typed(form: Any) -> Typed:
    comments: dict[int | None, str] = {}
    for n in range(1, 7):
        text = str(form.get(f"comment.{n}", "")).strip()
        if text:
            comments[n] = text
    general = str(form.get("comment.general", "")).strip()
    if general:
        comments[None] = general
    anchors = [str(a) for a in form.getlist("cell_anchor")]
    texts = [str(t) for t in form.getlist("cell_text")]
    cells = [(a.strip(), t.strip()) for a, t in zip(anchors, texts, strict=False) if t.strip()]
    reasons = [str(r) for r in form.getlist("reason") if str(r) in REASON_CODES]

    def ints(name: str) -> set[int]:
        return {
            int(v)
            for v in (str(x) for x in form.getlist(name))
            if v.isascii() and v.isdigit() and len(v) < 12
        }

    return Typed(comments, cells, reasons, ints("shown_note"), ints("resolve"))


def _cell_comments(cells: list[tuple[str, str]]) -> list[review.CellComment]:
    out = []
    for anchor, text in cells:
        parts = anchor.split(".")
        if len(parts) != 3 or not all(parts):
            raise ServiceError("请为每条单元格意见选择所指的单元格", code=422)
        out.append(review.CellComment(parts[0], parts[1], parts[2], text))
    return out


def _decided_message(decision: str, state: str, report: ReportRow) -> str:
    if decision == "return":
        return "已退回，报送单位会在报告的相应位置看到您的意见。"
    if state == ReportState.IN_REVIEW.value:
        stages = report.season.stages or []
        nxt = stages[report.review_stage + 1] if report.review_stage + 1 < len(stages) else ""
        return f"已通过本环节，报告转入下一环节（{stage_label(nxt)}）。" if nxt else "已通过本环节。"
    label = STATE_LABELS.get(ReportState(state), "") if state in {s.value for s in ReportState} else ""
    if state == ReportState.APPROVED.value:
        return "已审定通过，报告将自动公开。"
    return f"已通过（报告现为“{label}”）。" if label else "已通过。"


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
    typed = _typed(form)
    try:
        state = review.decide(
            db,
            report_id=report.id,
            reviewer_id=user.id,
            decision=decision,
            expected_version=expected,
            reason_codes=typed.reasons,
            comments=typed.comments,
            expected_stage=expected_stage,
            cell_comments=_cell_comments(typed.cells),
        )
        for note_id in sorted(typed.shown_notes):
            _mark(db, report.id, note_id, user.id, note_id in typed.resolved)
    except ServiceError as exc:
        db.rollback()
        ctx = _report_context(request, db, report, str(form.get("compare", ""))) | {
            "flash": exc.message,
            "flash_kind": "error",
            "typed": typed,
        }
        return render(request, "review/report.html", ctx, exc.code)
    flash(request, _decided_message(decision, state, report))
    return redirect("/review")


def _mark(db: Session, report_id: int, note_id: int, user_id: int, resolved: bool) -> None:
    from workflow.db.models import ReviewComment

    current = db.execute(
        select(ReviewComment.report_id, ReviewComment.resolved_at).where(ReviewComment.id == note_id)
    ).first()
    db.rollback()
    if current is None or current.report_id != report_id or (current.resolved_at is not None) == resolved:
        return
    review.resolve_comment(db, comment_id=note_id, actor_id=user_id, resolved=resolved)


def _picks(form: Any) -> list[tuple[int, int]]:
    out = []
    for item in form.getlist("pick"):
        try:
            rid, ver = (int(x) for x in str(item).split(":", 1))
        except ValueError:
            continue
        if (rid, ver) not in out:
            out.append((rid, ver))
    return out


@router.post("/review/bulk-approve")
def bulk_approve(request: Request, user: ReviewerUser, db: DB, form: Posted) -> Response:
    """Approve several clean reports at once, after a confirmation page that lists them; each is
    decided on its own and failures are listed."""
    picks = _picks(form)
    if not picks:
        flash(request, "请先在队列中勾选要通过的报告。", "warn")
        return redirect("/review")
    if str(form.get("confirm", "")) != "1":
        items, refused = [], []
        for rid, ver in picks:
            try:
                r = reviewer_for(db, user, rid)
            except HTTPException:
                refused.append(rid)
                continue
            stages = r.season.stages or []
            items.append(
                {
                    "report": r,
                    "version": ver,
                    "stage": stage_label(stages[r.review_stage]) if r.review_stage < len(stages) else "",
                    "final": r.review_stage >= len(stages) - 1,
                    "current": r.state == ReportState.IN_REVIEW.value and r.latest_version == ver,
                }
            )
        db.close()
        return render(request, "review/bulk_confirm.html", {"items": items, "refused": refused})
    done, failed = 0, []
    for rid, ver in picks:
        name = f"报告 {rid}"
        try:
            r = reviewer_for(db, user, rid)
            name = f"{r.body.name} {r.season.report_year} 年度报告"
            db.commit()
            review.decide(db, report_id=rid, reviewer_id=user.id, decision="approve", expected_version=ver)
            done += 1
        except ServiceError as exc:
            failed.append(f"{name}：{exc.message}")
        except HTTPException as exc:
            failed.append(f"{name}：{exc.detail}")
    msg = f"已通过 {done} 份报告。" + ("未通过：" + "；".join(failed) if failed else "")
    flash(request, msg, "warn" if failed else "ok")
    return redirect("/review")
