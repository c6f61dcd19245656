"""When the checker is wrong: a submitter contests an error, the reviewer accepts or rejects the contest.

An error blocks submission (and fails the worker's check) unless it is contested: an open contest lets
the report go on to review, where the reviewer decides it.  Accepted, the finding stays in the record as
"contested and accepted" everywhere (review, status, the published data); rejected (with a comment), the
error blocks again until the submitter fixes the cell or contests it with a better reason.  Accepted
contests are kept with the rule id, the cell and the report, so a wrong rule is found and fixed
(`workflow findings --contested`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import Body, FindingContest, ReportRow, Season
from workflow.domain.model import Report
from workflow.domain.states import EDITABLE_STATES, ReportState
from workflow.rules.catalog import validate
from workflow.services import audit
from workflow.services.checks import previous_report
from workflow.services.contest_state import ACCEPTED, OPEN, REJECTED
from workflow.services.errors import InvalidTransition, NotFound, ServiceError
from workflow.services.lifecycle import get_report, transactional

STATUS_LABELS = {OPEN: "异议待审核人决定", ACCEPTED: "异议已被接受", REJECTED: "异议已被驳回"}
MAX_REASON = 2000


def contest_error(
    session: Session, *, report_id: int, finding_key: str, reason: str, actor_id: int | None
) -> int:
    """Record (or renew) the submitter's contest of one error of the current draft; returns its id.

    The draft is validated first with no write transaction open, so only a finding the checker really
    raises now can be contested, and its text is kept as the submitter saw it."""
    reason = reason.strip()
    if not reason:
        raise ServiceError("请写明您认为这条错误不成立的理由，审核人会据此决定", code=422)
    if len(reason) > MAX_REASON:
        raise ServiceError(f"理由最多 {MAX_REASON} 字，请精简后再提交", code=422)
    try:
        report = get_report(session, report_id)
        if ReportState(report.state) not in EDITABLE_STATES:
            raise InvalidTransition("报告已提交，不能再提出异议；如需修改请先撤回")
        error = _current_error(session, report, finding_key)
        session.commit()  # end the read
    except BaseException:
        session.rollback()
        raise
    return _record_contest(session, report_id, finding_key, error, reason, actor_id)


def _current_error(session: Session, report: ReportRow, finding_key: str) -> dict[str, Any]:
    previous, imported = previous_report(session, report)
    result = validate(
        Report.from_dict(report.draft), previous, previous_imported=imported, today=now().date()
    )
    for finding in result.errors:
        if finding.key == finding_key:
            return finding.to_dict()
    raise ServiceError("这条错误在当前草稿中已不存在，无需提出异议；请刷新页面查看最新的校验结果", code=409)


@transactional
def _record_contest(
    session: Session,
    report_id: int,
    finding_key: str,
    error: dict[str, Any],
    reason: str,
    actor_id: int | None,
) -> int:
    row = _contest(session, report_id, finding_key)
    if row is None:
        row = FindingContest(report_id=report_id, finding_key=finding_key, rule_id=str(error["rule"])[:20])
        session.add(row)
    elif row.status == ACCEPTED:
        raise ServiceError("审核人已接受这条异议，无需再次提出", code=409)
    row.finding, row.reason, row.status, row.by_id, row.at = error, reason, OPEN, actor_id, now()
    row.decided_by_id, row.decided_at, row.decision_comment = None, None, ""
    session.flush()
    audit.record(
        session,
        "report.contest_error",
        actor_id=actor_id,
        report_id=report_id,
        key=finding_key,
        rule=row.rule_id,
    )
    return row.id


@transactional
def withdraw_contest(session: Session, *, report_id: int, finding_key: str, actor_id: int | None) -> None:
    """The submitter takes an open contest back (e.g. after fixing the cell after all)."""
    report = get_report(session, report_id)
    if ReportState(report.state) not in EDITABLE_STATES:
        raise InvalidTransition("报告已提交，不能再撤回异议")
    row = _contest(session, report_id, finding_key)
    if row is None or row.status != OPEN:
        raise NotFound("没有可以撤回的异议")
    session.delete(row)
    audit.record(session, "report.withdraw_contest", actor_id=actor_id, report_id=report_id, key=finding_key)


@transactional
def decide_contest(
    session: Session, *, report_id: int, finding_key: str, accept: bool, comment: str, reviewer_id: int
) -> str:
    """The reviewer accepts or rejects an open contest of a report in review; returns the new status."""
    report = get_report(session, report_id)
    if report.state != ReportState.IN_REVIEW:
        raise InvalidTransition("只有审核中的报告才能对异议作出决定")
    row = _contest(session, report_id, finding_key)
    if row is None:
        raise NotFound("找不到这条异议，可能已被提交人撤回")
    comment = comment.strip()
    if not accept and not comment:
        raise ServiceError("驳回异议时请写明理由，提交人会看到", code=422)
    if len(comment) > MAX_REASON:
        raise ServiceError(f"意见最多 {MAX_REASON} 字，请精简后再提交", code=422)
    status = ACCEPTED if accept else REJECTED
    if row.status != OPEN:
        if row.status == status:
            return status  # a double click: the same decision again changes nothing
        raise ServiceError(f"这条异议已有决定（{STATUS_LABELS[row.status]}），请刷新页面", code=409)
    row.status, row.decided_by_id, row.decided_at, row.decision_comment = status, reviewer_id, now(), comment
    audit.record(
        session,
        "report.accept_contest" if accept else "report.reject_contest",
        actor_id=reviewer_id,
        report_id=report_id,
        key=finding_key,
        rule=row.rule_id,
    )
    return status


def _contest(session: Session, report_id: int, finding_key: str) -> FindingContest | None:
    return session.scalar(
        select(FindingContest).where(
            FindingContest.report_id == report_id, FindingContest.finding_key == finding_key
        )
    )


def contests_of(session: Session, report_id: int) -> dict[str, FindingContest]:
    """Every contest of a report by finding key (for the pages)."""
    rows = session.scalars(select(FindingContest).where(FindingContest.report_id == report_id))
    return {row.finding_key: row for row in rows}


def undecided_or_rejected(session: Session, report_id: int) -> tuple[int, int]:
    """(open, rejected) contests of a report: the final approval waits for both to be zero."""
    rows = session.scalars(select(FindingContest.status).where(FindingContest.report_id == report_id)).all()
    return rows.count(OPEN), rows.count(REJECTED)


def accepted_for_publication(
    session: Session, report_id: int, *, until: datetime
) -> tuple[dict[str, Any], ...]:
    """Contests accepted by `until` (the publication's time), as the published data shows them: the
    same list whenever a publication is rendered again.  No names of people: the office decided."""
    rows = session.scalars(
        select(FindingContest)
        .where(
            FindingContest.report_id == report_id,
            FindingContest.status == ACCEPTED,
            FindingContest.decided_at <= until,
        )
        .order_by(FindingContest.id)
    )
    return tuple(
        {
            "rule": row.rule_id,
            "where": row.finding.get("where", {}),
            "message": row.finding.get("message", ""),
            "status": "contested_accepted",
            "reason": row.reason,
            "decided_at": row.decided_at.isoformat() if row.decided_at else None,
        }
        for row in rows
    )


@dataclass(frozen=True, slots=True)
class ContestRecord:
    """One line of `workflow findings --contested`."""

    rule_id: str
    where: dict[str, Any]
    message: str
    status: str
    body: str
    year: int
    report_id: int
    reason: str
    comment: str
    decided_at: datetime | None


def contested(
    session: Session, *, statuses: Iterable[str] = (ACCEPTED,), rule: str | None = None
) -> list[ContestRecord]:
    """Contests across all reports, by rule id then report: the list to find and fix wrong rules."""
    query = (
        select(FindingContest, Body.name, Season.report_year)
        .join(ReportRow, ReportRow.id == FindingContest.report_id)
        .join(Body, Body.id == ReportRow.body_id)
        .join(Season, Season.id == ReportRow.season_id)
        .where(FindingContest.status.in_(list(statuses)))
        .order_by(FindingContest.rule_id, Season.report_year, Body.name, FindingContest.id)
    )
    if rule:
        query = query.where(FindingContest.rule_id == rule)
    return [
        ContestRecord(
            rule_id=row.rule_id,
            where=dict(row.finding.get("where", {})),
            message=str(row.finding.get("message", "")),
            status=row.status,
            body=body,
            year=year,
            report_id=row.report_id,
            reason=row.reason,
            comment=row.decision_comment,
            decided_at=row.decided_at,
        )
        for row, body, year in session.execute(query)
    ]
