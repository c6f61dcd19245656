"""Checking a submitted version against the rule catalog: idempotent and crash-safe.

Two transactions.  The claim (submitted → checking, run pending → running) commits first, so a worker
killed while validating leaves a "checking" report with a "running" run that the sweeper re-enqueues;
`run_checks` accepts that state and finishes the job.  The result is stored by a conditional update
(running → done): of two workers racing on the same version one stores, the other returns False.

Cheap on purpose (it runs for every submission): the claim reads the version's content, the report's
state and the run in one query and last year's report in another; the rules run with no transaction
open; each transition is one `UPDATE … WHERE state = :expected RETURNING` plus its audit row.  About
8 statements per check, the report's draft never loaded.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Integer, Table, bindparam, case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import ReportRow, ReportVersion, Season, ValidationRun
from workflow.domain.model import Report
from workflow.domain.states import ReportEvent, ReportState
from workflow.rules.catalog import CATALOG_VERSION, validate
from workflow.rules.engine import Severity, ValidationResult
from workflow.services.contest_state import blocking, not_blocking_keys
from workflow.services.errors import NotFound, StateConflict
from workflow.services.lifecycle import REPORTS, get_report, transactional, transition, transition_by_id
from workflow.services.outbox import enqueue_after_commit

CHECKABLE = (ReportState.SUBMITTED, ReportState.CHECKING)

# The hot path uses Core statements on the tables: the ORM's per-statement layer cost more CPU than
# the SQL (the reads here are columns, not objects, and the JSON is read once).
VERSIONS = cast(Table, ReportVersion.__table__)
RUNS = cast(Table, ValidationRun.__table__)
SEASONS = cast(Table, Season.__table__)


@dataclass(frozen=True)
class _Claimed:
    """What the claim read: enough to validate and to store without reading the report again."""

    run_id: int
    version_id: int
    number: int
    report_id: int
    body_id: int
    content: dict[str, Any]
    previous: Report | None
    previous_imported: bool


def run_checks(session: Session, *, version_id: int) -> bool:
    """Check `version_id` once under the current catalog; True if this call stored the result."""
    claimed = _claim(session, version_id)
    if claimed is None:
        return False
    # No transaction is open while the rules run (SQLite: the write lock is not held).
    result = validate(
        Report.from_dict(claimed.content),
        claimed.previous,
        previous_imported=claimed.previous_imported,
        today=now().date(),
    )
    return _store(session, claimed, result)


# The statements of the hot path are built once (bound parameters), not per check: building and
# cache-keying a statement costs about as much CPU as running it.
_CLAIM_READ = (
    select(
        VERSIONS.c.number,
        VERSIONS.c.content,
        REPORTS.c.id,
        REPORTS.c.state,
        REPORTS.c.latest_version,
        REPORTS.c.body_id,
        REPORTS.c.season_id,
        RUNS.c.id,
        RUNS.c.status,
    )
    .join(REPORTS, REPORTS.c.id == VERSIONS.c.report_id)
    .outerjoin(RUNS, (RUNS.c.version_id == VERSIONS.c.id) & (RUNS.c.catalog_version == CATALOG_VERSION))
    .where(VERSIONS.c.id == bindparam("p_version"))
)
_START_RUN = (
    update(RUNS)
    .where(
        RUNS.c.version_id == bindparam("p_version"),
        RUNS.c.catalog_version == CATALOG_VERSION,
        RUNS.c.status != "done",
    )
    .values(status="running", started_at=bindparam("p_now", type_=RUNS.c.started_at.type))
    .values(attempts=RUNS.c.attempts + 1)
    .returning(RUNS.c.id)
)
_STORE_RUN = (
    update(RUNS)
    .where(RUNS.c.id == bindparam("p_run"), RUNS.c.status == "running")
    .values(
        status="done",
        findings=bindparam("p_findings", type_=RUNS.c.findings.type),
        not_assessed=bindparam("p_not_assessed", type_=RUNS.c.not_assessed.type),
        error_count=bindparam("p_errors", type_=Integer),
        warning_count=bindparam("p_warnings", type_=Integer),
        notice_count=bindparam("p_notices", type_=Integer),
        finished_at=bindparam("p_now", type_=RUNS.c.finished_at.type),
    )
)
_PREVIOUS = (
    # Last year's report of the body: its latest version's content, or its draft when it has none.
    select(VERSIONS.c.content, case((VERSIONS.c.id.is_(None), REPORTS.c.draft), else_=None))
    .select_from(REPORTS)
    .join(SEASONS, SEASONS.c.id == REPORTS.c.season_id)
    .outerjoin(
        VERSIONS, (VERSIONS.c.report_id == REPORTS.c.id) & (VERSIONS.c.number == REPORTS.c.latest_version)
    )
    .where(
        REPORTS.c.body_id == bindparam("p_body"),
        SEASONS.c.report_year
        == select(SEASONS.c.report_year - 1).where(SEASONS.c.id == bindparam("p_season")).scalar_subquery(),
    )
)


@transactional
def _claim(session: Session, version_id: int) -> _Claimed | None:
    """submitted → checking (or a checking left by a crash), run → running; reads what the rules need."""
    row = session.execute(_CLAIM_READ, {"p_version": version_id}).first()
    if row is None:
        raise NotFound(f"找不到编号为 {version_id} 的报告版本")
    number, content, report_id, state, latest, body_id, season_id, run_id, run_status = row
    if latest != number or ReportState(state) not in CHECKABLE:
        return None  # superseded, withdrawn, or already past the checks
    if run_status == "done":
        return None
    if state == ReportState.SUBMITTED:
        transition_by_id(
            session,
            report_id,
            ReportState.SUBMITTED,
            ReportEvent.START_CHECK,
            body_id=body_id,
            actor_id=None,
            where=[REPORTS.c.latest_version == number],
            version=number,
        )
    run_id = _start_run(session, version_id) if run_id is not None else _create_run(session, version_id)
    if run_id is None:
        return None  # another worker created or finished it first: leave the work to it
    previous, imported = _previous(session, body_id, season_id)
    return _Claimed(run_id, version_id, number, report_id, body_id, content, previous, imported)


def _start_run(session: Session, version_id: int) -> int | None:
    """pending (or running, left by a crash) → running; None if it is done meanwhile."""
    run_id: int | None = session.scalar(_START_RUN, {"p_version": version_id, "p_now": now()})
    return run_id


def _run_for(session: Session, version_id: int) -> ValidationRun | None:
    return session.scalar(
        select(ValidationRun).where(
            ValidationRun.version_id == version_id, ValidationRun.catalog_version == CATALOG_VERSION
        )
    )


def _create_run(session: Session, version_id: int) -> int | None:
    run = ValidationRun(
        version_id=version_id,
        catalog_version=CATALOG_VERSION,
        status="running",
        started_at=now(),
        attempts=1,
    )
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:  # another worker created it first: leave the work to it
        return None
    return run.id


@transactional
def _store(session: Session, claimed: _Claimed, result: ValidationResult) -> bool:
    counts = {s: sum(1 for f in result.findings if f.severity is s) for s in Severity}
    params = {
        "p_run": claimed.run_id,
        "p_findings": [f.to_dict() for f in result.findings],
        "p_not_assessed": [n.to_dict() for n in result.not_assessed],
        "p_errors": counts[Severity.ERROR],
        "p_warnings": counts[Severity.WARNING],
        "p_notices": counts[Severity.NOTICE],
        "p_now": now(),
    }
    stored = session.execute(_STORE_RUN, params).rowcount  # type: ignore[attr-defined]
    if stored != 1:
        return False  # a concurrent duplicate stored it first
    # Errors the submitter contested (and the reviewer has not rejected) go on to review with the report.
    errors = blocking(result.errors, not_blocking_keys(session, claimed.report_id)) if result.errors else []
    event = ReportEvent.CHECKS_FAILED if errors else ReportEvent.CHECKS_PASSED
    # Only from `checking` on this version: withdrawn (or superseded) while we checked, the update
    # matches nothing; keep the run (it describes the version) and move nothing.
    with contextlib.suppress(StateConflict):
        transition_by_id(
            session,
            claimed.report_id,
            ReportState.CHECKING,
            event,
            body_id=claimed.body_id,
            actor_id=None,
            where=[REPORTS.c.latest_version == claimed.number],
            version=claimed.number,
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
    return _previous(session, report.body_id, report.season_id)


def _previous(session: Session, body_id: int, season_id: int) -> tuple[Report | None, bool]:
    """One query: last year's report, its latest version's content, its draft only when it has none."""
    row = session.execute(_PREVIOUS, {"p_body": body_id, "p_season": season_id}).first()
    if row is None:
        return None, False
    content, draft = row
    if content is not None:
        return Report.from_dict(content), False
    if draft:
        return Report.from_dict(draft), True
    return None, False
