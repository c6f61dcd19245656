"""The sweeper: re-enqueue work that a crash or a lost message left stuck.

The database is the source of truth, the queue only a hint.  A report that has sat in `submitted` or
`checking` longer than `stuck_after_seconds` without a finished validation run for its latest version
under the current catalog gets `check_report` again; an approved report without a publication of its
latest version gets `publish_report` again.  Both tasks are idempotent, so a duplicate (the original
message was only slow) costs one no-op.  Messages go out through the outbox, after this transaction.

When the broker (re)started less than `stuck_after_seconds` ago (`broker_uptime_seconds`, read by the
task), work older than the broker is re-enqueued at once: a restarted Redis lost what was queued (the
embedded one keeps nothing), and what was submitted while it was down could not be sent at all.  So
checks catch up within one sweeper period of Redis coming back, not only once they look stuck.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from workflow.clock import now as clock_now
from workflow.db.models import Publication, ReportRow, ReportVersion, ValidationRun
from workflow.domain.states import ReportState
from workflow.rules.catalog import CATALOG_VERSION
from workflow.services.outbox import enqueue_after_commit

log = logging.getLogger(__name__)

# Bounded work per sweep; the next period takes the rest.
BATCH = 1000


@dataclass
class SweepResult:
    checks: list[int] = field(default_factory=list)  # version ids re-enqueued for check_report
    publications: list[int] = field(default_factory=list)  # report ids re-enqueued for publish_report

    def to_dict(self) -> dict[str, list[int]]:
        return {"checks": self.checks, "publications": self.publications}


def _latest_version():  # type: ignore[no-untyped-def]
    return and_(ReportVersion.report_id == ReportRow.id, ReportVersion.number == ReportRow.latest_version)


def stuck_checks(session: Session, cutoff: datetime) -> list[int]:
    done = exists().where(
        ValidationRun.version_id == ReportVersion.id,
        ValidationRun.catalog_version == CATALOG_VERSION,
        ValidationRun.status == "done",
    )
    q = (
        select(ReportVersion.id)
        .join(ReportRow, _latest_version())
        .where(ReportRow.state.in_([ReportState.SUBMITTED.value, ReportState.CHECKING.value]))
        .where(ReportRow.state_changed_at < cutoff, ~done)
        .order_by(ReportRow.state_changed_at)
        .limit(BATCH)
    )
    return list(session.scalars(q))


def stuck_publications(session: Session, cutoff: datetime) -> list[int]:
    published = exists().where(Publication.version_id == ReportVersion.id)
    q = (
        select(ReportRow.id)
        .join(ReportVersion, _latest_version())
        .where(ReportRow.state == ReportState.APPROVED.value, ReportRow.state_changed_at < cutoff, ~published)
        .order_by(ReportRow.state_changed_at)
        .limit(BATCH)
    )
    return list(session.scalars(q))


def sweep_stuck(
    session: Session,
    *,
    stuck_after_seconds: float,
    now: datetime | None = None,
    broker_uptime_seconds: float | None = None,
) -> SweepResult:
    """Find stuck work and enqueue it (sent when the caller commits)."""
    now = now or clock_now()
    cutoff = now - timedelta(seconds=stuck_after_seconds)
    if broker_uptime_seconds is not None and broker_uptime_seconds < stuck_after_seconds:
        # Everything from before the broker's start (uptime is whole seconds: one more to be sure).
        cutoff = max(cutoff, now - timedelta(seconds=broker_uptime_seconds + 1))
    result = SweepResult(stuck_checks(session, cutoff), stuck_publications(session, cutoff))
    for version_id in result.checks:
        enqueue_after_commit(session, "check_report", version_id=version_id)
    for report_id in result.publications:
        enqueue_after_commit(session, "publish_report", report_id=report_id)
    if result.checks or result.publications:
        log.warning("sweeper re-enqueued %s", result.to_dict())
    return result
