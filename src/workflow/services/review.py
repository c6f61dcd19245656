"""Review decisions, withdrawal, corrections and the publication hand-off."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import (
    Body,
    Notification,
    ReportRow,
    ReviewComment,
    ReviewDecision,
    User,
)
from workflow.domain.formats import FORMATS, SECTION_NUMERALS, TABLE_NAMES, FormatId, ReportFormat
from workflow.domain.states import ReportEvent, ReportState, approval_event, stage_label
from workflow.services import audit, contests
from workflow.services.checks import is_stale, recheck_if_stale
from workflow.services.errors import (
    AlreadyDecided,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ServiceError,
    StaleVersion,
    StateConflict,
)
from workflow.services.lifecycle import (
    check_event,
    get_report,
    get_user,
    get_version,
    season_stages,
    transactional,
    transition,
)
from workflow.services.outbox import enqueue_after_commit

DECISIONS = ("approve", "return")
COMMENT_MAX_CHARS = 5000


@dataclass(frozen=True, slots=True)
class CellComment:
    """A reviewer's comment on one table cell: the table id, row key and column key of the format."""

    table_id: str
    row_key: str
    column_key: str
    text: str


_DECIDED_STATES = {ReportState.APPROVED, ReportState.RETURNED, ReportState.PUBLISHED}


def decide(
    session: Session,
    *,
    report_id: int,
    reviewer_id: int,
    decision: str,
    expected_version: int,
    reason_codes: Iterable[str] = (),
    comments: Mapping[int | None, str] | None = None,
    expected_stage: int | None = None,
    cell_comments: Iterable[CellComment] = (),
) -> str:
    """Approve or return the version the reviewer looked at; returns the new state.

    `comments` are per section (None for the whole report); `cell_comments` name a table cell of the
    version's format (a cell the format does not have is refused).  Both are kept across rounds.

    An approval on a run made under an older rule catalog starts a re-check (committed) and is refused
    with StateConflict: the reviewer decides again once the report is back in review.

    `expected_stage` is the review stage the reviewer's page showed: a second press of the same form
    (a double click) after an approval moved the report on is refused, not taken as the next stage's
    approval.
    """
    try:
        return _decide(
            session,
            report_id=report_id,
            reviewer_id=reviewer_id,
            decision=decision,
            expected_version=expected_version,
            expected_stage=expected_stage,
            reason_codes=list(reason_codes),
            comments=dict(comments or {}),
            cell_comments=list(cell_comments),
        )
    except AlreadyDecided as exc:
        raise _who_decided(session, report_id, reviewer_id, exc) from None
    except _NeedsRecheck:
        recheck_if_stale(session, report_id=report_id, actor_id=reviewer_id)
        raise StateConflict("规则目录已更新，报告正在按新规则重新校验，请校验完成后再审核") from None


class _NeedsRecheck(Exception):
    pass


@transactional
def _decide(
    session: Session,
    *,
    report_id: int,
    reviewer_id: int,
    decision: str,
    expected_version: int,
    expected_stage: int | None,
    reason_codes: list[str],
    comments: dict[int | None, str],
    cell_comments: list[CellComment],
) -> str:
    if decision not in DECISIONS:
        raise ServiceError("审核决定只能是“通过”或“退回”", code=400)
    report = get_report(session, report_id)
    reviewer = get_user(session, reviewer_id)
    assert reviewer is not None
    _check_fresh(report, expected_version, expected_stage)
    stages = season_stages(report.season)
    stage_index = report.review_stage
    stage = stages[stage_index]
    _check_reviewer(session, reviewer, report, stage)
    comments = _clean_comments(comments)
    version = get_version(session, report.id, expected_version)
    cells = _clean_cell_comments(_version_format(version.content), cell_comments)
    if decision == "return" and not (comments or cells or reason_codes):
        raise ServiceError("退回时请填写退回理由或修改意见", code=422)
    if decision == "approve" and is_stale(session, report):
        raise _NeedsRecheck()
    event = approval_event(stages, stage_index) if decision == "approve" else ReportEvent.RETURN
    if decision == "approve":
        _check_contests(session, report.id, final=event == ReportEvent.APPROVE)
    # A returned report starts again at the first stage; approvals move one stage on.
    next_stage = {ReportEvent.APPROVE_STAGE: stage_index + 1, ReportEvent.RETURN: 0}.get(event, stage_index)
    target = transition(
        session,
        report,
        event,
        actor_id=reviewer.id,
        values={"review_stage": next_stage},
        where=[ReportRow.review_stage == stage_index, ReportRow.latest_version == expected_version],
        conflict=AlreadyDecided,
        version=expected_version,
        stage=stage,
        reason_codes=reason_codes,
    )
    _record_decision(session, report, version.id, stage, decision, reason_codes, reviewer.id)
    for section, text in comments.items():
        session.add(
            ReviewComment(
                report_id=report.id, version_id=version.id, section=section, text=text, author_id=reviewer.id
            )
        )
    for section, c in cells:
        session.add(
            ReviewComment(
                report_id=report.id,
                version_id=version.id,
                section=section,
                text=c.text,
                author_id=reviewer.id,
                table_id=c.table_id,
                row_key=c.row_key,
                column_key=c.column_key,
            )
        )
    _notify_body(session, report, event, stage, _return_note(comments, cells))
    if event is ReportEvent.APPROVE:
        enqueue_after_commit(session, "publish_report", report_id=report.id)
    return target.value


def _check_contests(session: Session, report_id: int, *, final: bool) -> None:
    """Approval waits until every contested error is decided; a rejected one means the error stands."""
    undecided, rejected = contests.undecided_or_rejected(session, report_id)
    if rejected:
        raise ServiceError(
            f"有 {rejected} 条异议已被驳回，对应的错误仍在报告中，不能通过：请退回修改", code=409
        )
    if undecided and final:
        raise ServiceError(f"还有 {undecided} 条异议未作决定：请先逐条接受或驳回，再审定通过", code=409)


def _check_fresh(report: ReportRow, expected_version: int, expected_stage: int | None) -> None:
    state = ReportState(report.state)
    if state is ReportState.IN_REVIEW and report.latest_version == expected_version:
        if expected_stage is not None and report.review_stage != expected_stage:
            raise AlreadyDecided()  # the stage the reviewer saw was decided meanwhile
        return
    if report.latest_version == expected_version and state in _DECIDED_STATES:
        raise AlreadyDecided()
    if report.latest_version != expected_version:
        raise StaleVersion(f"报告已更新为第 {report.latest_version} 版，请刷新后审核最新版本")
    check_event(report, ReportEvent.APPROVE)  # raises InvalidTransition with the state's name
    raise InvalidTransition()


def _who_decided(session: Session, report_id: int, reviewer_id: int, exc: AlreadyDecided) -> AlreadyDecided:
    """The refusal in words that fit: "you decided already" for a second press of one's own form."""
    try:
        last = session.scalar(
            select(ReviewDecision)
            .where(ReviewDecision.report_id == report_id)
            .order_by(ReviewDecision.id.desc())
            .limit(1)
        )
        if last is None or last.reviewer_id != reviewer_id:
            return exc
        what = "通过" if last.decision == "approve" else "退回"
        return AlreadyDecided(
            f"您已对该版本作出决定（{stage_label(last.stage)}：{what}），无需再次提交，请刷新页面查看当前状态"
        )
    finally:
        session.rollback()  # only a read: end it


def _check_reviewer(session: Session, reviewer: User, report: ReportRow, stage: str) -> None:
    if reviewer.role == "admin":
        return
    body = session.get(Body, report.body_id)
    assert body is not None
    if reviewer.role != "reviewer" or not reviewer.is_active:
        raise PermissionDenied("只有审核人可以审核报告")
    if reviewer.jurisdiction_id != body.jurisdiction_id:
        raise PermissionDenied("该报告不属于您负责审核的辖区")
    if reviewer.review_stage not in (None, stage):
        if _stage_decided(session, report, reviewer.review_stage):
            raise AlreadyDecided()  # a colleague at the reviewer's stage was faster
        raise PermissionDenied(f"报告当前处于“{stage_label(stage)}”环节，不由您审核")


def _stage_decided(session: Session, report: ReportRow, stage: str | None) -> bool:
    version_id = get_version(session, report.id, report.latest_version).id
    found = session.scalar(
        select(ReviewDecision.id).where(
            ReviewDecision.version_id == version_id, ReviewDecision.stage == stage
        )
    )
    return found is not None


def _clean_comments(comments: dict[int | None, str]) -> dict[int | None, str]:
    out: dict[int | None, str] = {}
    for section, text in comments.items():
        if section is not None and section not in SECTION_NUMERALS:
            raise ServiceError(f"没有第 {section} 部分，意见只能针对第一至第六部分", code=422)
        if text and text.strip():
            if len(text.strip()) > COMMENT_MAX_CHARS:
                raise ServiceError(f"每条意见最多 {COMMENT_MAX_CHARS} 字，请精简后再提交", code=422)
            out[section] = text.strip()
    return out


def _version_format(content: Mapping[str, object]) -> ReportFormat:
    """The format of a stored version (read as Report.from_dict reads it)."""
    return FORMATS[FormatId(str(content.get("format", "2021")))]


def _clean_cell_comments(spec: ReportFormat, items: list[CellComment]) -> list[tuple[int, CellComment]]:
    """(section, comment) for each non-empty comment on a cell the version's format has."""
    out: list[tuple[int, CellComment]] = []
    for c in items:
        text = c.text.strip()
        if not text:
            continue
        if len(text) > COMMENT_MAX_CHARS:
            raise ServiceError(f"每条意见最多 {COMMENT_MAX_CHARS} 字，请精简后再提交", code=422)
        try:
            table = spec.table(c.table_id)
            row = table.row(c.row_key)
        except KeyError:
            raise ServiceError(
                "意见所指的单元格在本报告的表格中不存在，请在表格中重新选择", code=422
            ) from None
        if c.column_key not in {col.key for col in row.columns}:
            raise ServiceError("意见所指的单元格在本报告的表格中不存在，请在表格中重新选择", code=422)
        out.append((table.section, CellComment(c.table_id, c.row_key, c.column_key, text)))
    return out


@transactional
def resolve_comment(session: Session, *, comment_id: int, actor_id: int, resolved: bool = True) -> bool:
    """A reviewer marks a comment resolved (answered by a later version) or open again.

    Returns the comment's resolved state; marking it the way it already is changes nothing.
    """
    comment = session.get(ReviewComment, comment_id)
    if comment is None:
        raise NotFound("找不到这条审核意见，请刷新页面")
    report = get_report(session, comment.report_id)
    actor = get_user(session, actor_id)
    if actor is None or not actor.is_active or actor.role not in ("reviewer", "admin"):
        raise PermissionDenied("只有审核人可以标记审核意见")
    if actor.role != "admin":
        body = session.get(Body, report.body_id)
        assert body is not None
        if actor.jurisdiction_id != body.jurisdiction_id:
            raise PermissionDenied("该报告不属于您负责审核的辖区")
    if (comment.resolved_at is not None) == resolved:
        return resolved
    comment.resolved_at, comment.resolved_by_id = (now(), actor.id) if resolved else (None, None)
    audit.record(
        session,
        "report.resolve_comment" if resolved else "report.reopen_comment",
        actor_id=actor.id,
        report_id=report.id,
        comment=comment.id,
    )
    return resolved


def _record_decision(
    session: Session,
    report: ReportRow,
    version_id: int,
    stage: str,
    decision: str,
    reason_codes: list[str],
    reviewer_id: int,
) -> None:
    try:
        with session.begin_nested():
            session.add(
                ReviewDecision(
                    report_id=report.id,
                    version_id=version_id,
                    stage=stage,
                    decision=decision,
                    reason_codes=reason_codes,
                    reviewer_id=reviewer_id,
                )
            )
    except IntegrityError:  # unique(version, stage): the second guard
        raise AlreadyDecided() from None


def _return_note(comments: Mapping[int | None, str], cells: Iterable[tuple[int | None, CellComment]]) -> str:
    """The reviewer's comments as the 消息 page shows them with a return: one line each."""
    lines = []
    for section, text in comments.items():
        where = f"第{SECTION_NUMERALS.get(section, section)}部分" if section else "全文"
        lines.append(f"{where}：{text}")
    for _, c in cells:
        lines.append(f"{TABLE_NAMES.get(c.table_id, '表格')}单元格：{c.text}")
    return "\n".join(lines)[:4000]


def _notify_body(session: Session, report: ReportRow, event: ReportEvent, stage: str, note: str = "") -> None:
    year = report.season.report_year
    if event is ReportEvent.RETURN:
        title = f"{year}年度报告被退回修改（{stage_label(stage)}）"
    elif event is ReportEvent.APPROVE:
        title = f"{year}年度报告已审定通过，即将公开"
    else:
        title = f"{year}年度报告已通过“{stage_label(stage)}”"
    session.add(
        Notification(body_id=report.body_id, title=title, body=note if event is ReportEvent.RETURN else "")
    )


@transactional
def withdraw(session: Session, *, report_id: int, actor_id: int | None) -> str:
    """submitted | checking | in_review (before any decision) → draft."""
    report = get_report(session, report_id)
    if report.state == ReportState.IN_REVIEW and report.review_stage > 0:
        raise InvalidTransition("报告已有审核决定，不能撤回")
    target = transition(
        session,
        report,
        ReportEvent.WITHDRAW,
        actor_id=actor_id,
        where=[ReportRow.review_stage == 0, ReportRow.latest_version == report.latest_version],
        version=report.latest_version,
    )
    return target.value


@transactional
def start_correction(session: Session, *, report_id: int, reason: str, actor_id: int | None) -> str:
    """published → draft, flagged as a correction; the new version takes the whole path again."""
    if not reason or not reason.strip():
        raise ServiceError("请填写更正原因", code=422)
    report = get_report(session, report_id)
    target = transition(
        session,
        report,
        ReportEvent.START_CORRECTION,
        actor_id=actor_id,
        values={"is_correction": True, "correction_reason": reason.strip(), "review_stage": 0},
        reason=reason.strip(),
    )
    return target.value


@transactional
def mark_published(session: Session, *, report_id: int, version_id: int, published_at: datetime) -> str:
    """approved → published (the publication code calls it); keeps the first publication date."""
    report = get_report(session, report_id)
    version = get_version(session, report.id, report.latest_version)
    if version.id != version_id:
        raise StaleVersion(f"要公开的不是报告的最新版本（最新为第 {report.latest_version} 版）")
    if report.state == ReportState.PUBLISHED:
        return report.state  # already done: a retried publication task changes nothing
    first = report.first_published_at or published_at
    target = transition(
        session,
        report,
        ReportEvent.PUBLISH,
        actor_id=None,
        values={"first_published_at": first},
        where=[ReportRow.latest_version == report.latest_version],
        version=version.number,
        published_at=published_at.isoformat(),
    )
    session.add(Notification(body_id=report.body_id, title=f"{report.season.report_year}年度报告已公开"))
    return target.value


def find_report(session: Session, *, body_id: int, season_id: int) -> ReportRow:
    report = session.scalar(
        select(ReportRow).where(ReportRow.body_id == body_id, ReportRow.season_id == season_id)
    )
    if report is None:
        raise NotFound("该机关本年度尚未创建报告")
    return report
