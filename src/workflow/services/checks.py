"""Checking a submitted version against the rule catalog: idempotent and crash-safe.

Two transactions.  The claim (submitted → checking, run pending → running) commits first, so a worker
killed while validating leaves a "checking" report with a "running" run that the sweeper re-enqueues;
`run_checks` accepts that state and finishes the job.  The result is stored by a conditional update
(running → done): of two workers racing on the same version one stores, the other returns False.
"""

from __future__ import annotations

import contextlib

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import ReportRow, ReportVersion, Season, ValidationRun
from workflow.domain.model import Report
from workflow.domain.states import ReportEvent, ReportState
from workflow.rules.catalog import CATALOG_VERSION, validate
from workflow.rules.engine import Severity, ValidationResult
from workflow.services.errors import InvalidTransition, NotFound, StateConflict
from workflow.services.lifecycle import get_report, transactional, transition
from workflow.services.outbox import enqueue_after_commit

CHECKABLE = (ReportState.SUBMITTED, ReportState.CHECKING)


def run_checks(session: Session, *, version_id: int) -> bool:
    """Check `version_id` once under the current catalog; True if this call stored the result."""
    run_id = _claim(session, version_id)
    if run_id is None:
        return False
    version = session.get(ReportVersion, version_id)
    assert version is not None
    report = get_report(session, version.report_id)
    previous, imported = previous_report(session, report)
    content = Report.from_dict(version.content)
    result = validate(content, previous, previous_imported=imported, today=now().date())
    session.rollback()  # end the read transaction before the write one (SQLite: do not hold the lock)
    return _store(session, version_id, run_id, result)


@transactional
def _claim(session: Session, version_id: int) -> int | None:
    version = session.get(ReportVersion, version_id)
    if version is None:
        raise NotFound(f"找不到编号为 {version_id} 的报告版本")
    report = get_report(session, version.report_id)
    if report.latest_version != version.number or ReportState(report.state) not in CHECKABLE:
        return None  # superseded, withdrawn, or already past the checks
    run = _run_for(session, version_id)
    if run is not None and run.status == "done":
        return None
    if report.state == ReportState.SUBMITTED:
        transition(
            session,
            report,
            ReportEvent.START_CHECK,
            actor_id=None,
            where=[ReportRow.latest_version == version.number],
            version=version.number,
        )
    if run is None:
        run = _create_run(session, version_id)
        if run is None:
            return None
    run.status, run.started_at, run.attempts = "running", now(), run.attempts + 1
    session.flush()
    return run.id


def _run_for(session: Session, version_id: int) -> ValidationRun | None:
    return session.scalar(
        select(ValidationRun).where(
            ValidationRun.version_id == version_id, ValidationRun.catalog_version == CATALOG_VERSION
        )
    )


def _create_run(session: Session, version_id: int) -> ValidationRun | None:
    run = ValidationRun(version_id=version_id, catalog_version=CATALOG_VERSION, status="pending")
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:  # another worker created it first: leave the work to it
        return None
    return run


@transactional
def _store(session: Session, version_id: int, run_id: int, result: ValidationResult) -> bool:
    counts = {s: sum(1 for f in result.findings if f.severity is s) for s in Severity}
    stored = session.execute(
        update(ValidationRun)
        .where(ValidationRun.id == run_id, ValidationRun.status == "running")
        .values(
            status="done",
            findings=[f.to_dict() for f in result.findings],
            not_assessed=[n.to_dict() for n in result.not_assessed],
            error_count=counts[Severity.ERROR],
            warning_count=counts[Severity.WARNING],
            notice_count=counts[Severity.NOTICE],
            finished_at=now(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if stored != 1:
        return False  # a concurrent duplicate stored it first
    version = session.get(ReportVersion, version_id)
    assert version is not None
    report = get_report(session, version.report_id)
    event = ReportEvent.CHECKS_FAILED if result.has_errors else ReportEvent.CHECKS_PASSED
    # Withdrawn while we checked: keep the run (it describes the version), move nothing.
    with contextlib.suppress(StateConflict, InvalidTransition):
        transition(
            session,
            report,
            event,
            actor_id=None,
            where=[ReportRow.latest_version == version.number],
            version=version.number,
            errors=counts[Severity.ERROR],
            warnings=counts[Severity.WARNING],
        )
    return True


@transactional
def recheck_if_stale(session: Session, *, report_id: int, actor_id: int | None = None) -> bool:
    """in_review under an older catalog → checking again; True if a re-check was started."""
    report = get_report(session, report_id)
    if report.state != ReportState.IN_REVIEW or not is_stale(session, report):
        return False
    version = session.scalar(
        select(ReportVersion).where(
            ReportVersion.report_id == report.id, ReportVersion.number == report.latest_version
        )
    )
    assert version is not None
    transition(
        session,
        report,
        ReportEvent.RECHECK,
        actor_id=actor_id,
        where=[ReportRow.latest_version == version.number],
        catalog_version=CATALOG_VERSION,
    )
    if _run_for(session, version.id) is None:
        session.add(ValidationRun(version_id=version.id, catalog_version=CATALOG_VERSION, status="pending"))
    enqueue_after_commit(session, "check_report", version_id=version.id)
    return True


def latest_run(session: Session, version_id: int) -> ValidationRun | None:
    """The most recent finished run of a version, whatever its catalog version."""
    return session.scalar(
        select(ValidationRun)
        .where(ValidationRun.version_id == version_id, ValidationRun.status == "done")
        .order_by(ValidationRun.finished_at.desc(), ValidationRun.id.desc())
        .limit(1)
    )


def is_stale(session: Session, report: ReportRow) -> bool:
    version = session.scalar(
        select(ReportVersion.id).where(
            ReportVersion.report_id == report.id, ReportVersion.number == report.latest_version
        )
    )
    run = latest_run(session, version) if version is not None else None
    return run is None or run.catalog_version != CATALOG_VERSION


def previous_report(session: Session, report: ReportRow) -> tuple[Report | None, bool]:
    """Last year's report of the same body: its last submitted version, or an imported draft (flagged)."""
    prev = session.scalar(
        select(ReportRow)
        .join(Season, Season.id == ReportRow.season_id)
        .where(ReportRow.body_id == report.body_id, Season.report_year == report.season.report_year - 1)
    )
    if prev is None:
        return None, False
    if prev.latest_version > 0:
        content = session.scalar(
            select(ReportVersion.content).where(
                ReportVersion.report_id == prev.id, ReportVersion.number == prev.latest_version
            )
        )
        if content is not None:
            return Report.from_dict(content), False
    if prev.draft:
        return Report.from_dict(prev.draft), True
    return None, False
