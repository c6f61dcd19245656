"""Submitting a draft: validated in-process first, then written as an immutable version."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import ReportRow, ReportVersion, WarningExplanation
from workflow.domain.model import Report
from workflow.domain.states import STATE_LABELS, ReportEvent, ReportState
from workflow.rules.catalog import CATALOG_VERSION, validate
from workflow.rules.engine import ValidationResult
from workflow.services.checks import RUNS, VERSIONS, previous_report
from workflow.services.contest_state import blocking, not_blocking_keys
from workflow.services.errors import AlreadySubmitted, StateConflict, SubmissionBlocked
from workflow.services.lifecycle import REPORTS, check_event, get_report, transactional, transition
from workflow.services.outbox import enqueue_after_commit


def submit(session: Session, *, report_id: int, actor_id: int | None) -> int:
    """draft → submitted; returns the new version's id.  The checks run after the commit (check_report).

    The draft is read and validated first, with no write transaction open (on SQLite the write lock
    is not held while the rules run); the write then happens only if the report is still in the state
    and at the draft revision that was validated (the transition's conditional update)."""
    try:
        report = get_report(session, report_id)
        _refuse_if_submitted(report)
        check_event(report, ReportEvent.SUBMIT)
        content = Report.from_dict(report.draft)
        content_hash = content.content_hash()
        _refuse_if_blocked(session, report, content, content_hash)
        session.commit()  # end the read
    except BaseException:
        session.rollback()  # as a refused service call leaves the session: nothing pending, all expired
        raise
    try:
        return _record(session, report, content, content_hash, actor_id)
    except StateConflict:
        # Someone (a double click, a colleague) submitted first: say so when that is what happened.
        try:
            _refuse_if_submitted(get_report(session, report_id))
        finally:
            session.rollback()
        raise


_SUBMITTED_STATES = frozenset(
    {
        ReportState.SUBMITTED,
        ReportState.CHECKING,
        ReportState.IN_REVIEW,
        ReportState.APPROVED,
        ReportState.PUBLISHED,
    }
)


def _refuse_if_submitted(report: ReportRow) -> None:
    """A second press of 提交 answers "already submitted" (no second version)."""
    state = ReportState(report.state)
    if state in _SUBMITTED_STATES:
        raise AlreadySubmitted(
            f"报告已提交（第 {report.latest_version} 版，当前状态：{STATE_LABELS[state]}），无需再次提交"
        )


@transactional
def _record(
    session: Session, report: ReportRow, content: Report, content_hash: str, actor_id: int | None
) -> int:
    number = report.latest_version + 1
    transition(
        session,
        report,
        ReportEvent.SUBMIT,
        actor_id=actor_id,
        values={"latest_version": number, "review_stage": 0},
        where=[
            REPORTS.c.latest_version == report.latest_version,
            REPORTS.c.draft_revision == report.draft_revision,
        ],
        version=number,
    )
    # Core INSERTs (no unit of work, no ORM bulk layer): the version is written once and never changed.
    version_id: int = session.execute(
        insert(VERSIONS)
        .values(
            report_id=report.id,
            number=number,
            content=content.to_dict(),
            content_hash=content_hash,
            submitted_by_id=actor_id,
            submitted_at=now(),
        )
        .returning(VERSIONS.c.id)
    ).scalar_one()
    # The run row exists from the start, so a lost message leaves a visible "pending" for the sweeper.
    session.execute(
        insert(RUNS).values(version_id=version_id, catalog_version=CATALOG_VERSION, status="pending")
    )
    enqueue_after_commit(session, "check_report", version_id=version_id)
    return version_id


def _refuse_if_blocked(session: Session, report: ReportRow, content: Report, content_hash: str) -> None:
    previous, imported = previous_report(session, report)
    result = validate(content, previous, previous_imported=imported, today=now().date())
    # A contested error (not rejected by the reviewer) goes on to review, where the reviewer decides it.
    errors = blocking(result.errors, not_blocking_keys(session, report.id)) if result.errors else []
    if errors:
        raise SubmissionBlocked(
            f"报告还有 {len(errors)} 处错误，改正后才能提交；如果您确认某条错误判断有误，可以对它提出异议",
            reason="errors",
            findings=[f.to_dict() for f in errors],
        )
    unexplained = _unexplained_warnings(session, report.id, result)
    if unexplained:
        raise SubmissionBlocked(
            f"还有 {len(unexplained)} 条警告未填写说明，请逐条说明后再提交",
            reason="unexplained_warnings",
            findings=unexplained,
        )
    if report.latest_version > 0 and _last_hash(session, report) == content_hash:
        raise SubmissionBlocked(
            f"报告内容与第 {report.latest_version} 版完全相同，请修改后再提交", reason="identical"
        )


def _unexplained_warnings(session: Session, report_id: int, result: ValidationResult) -> list[dict]:
    if not result.warnings:
        return []  # nothing to explain: no need to read the explanations
    explained = set(
        session.scalars(
            select(WarningExplanation.finding_key).where(WarningExplanation.report_id == report_id)
        )
    )
    return [w.to_dict() for w in result.warnings if w.key not in explained]


def _last_hash(session: Session, report: ReportRow) -> str | None:
    """The content hash of the last submitted version (not its content)."""
    return session.scalar(
        select(ReportVersion.content_hash).where(
            ReportVersion.report_id == report.id, ReportVersion.number == report.latest_version
        )
    )
