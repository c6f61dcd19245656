"""Named read queries: what `workflow status`, the dashboards and the review queue show.

Reads only; no state changes here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.db.models import Body, ReportRow, ReportVersion, Season, User, ValidationRun
from workflow.domain.states import ReportState


def reports_per_state(session: Session, season_id: int | None = None) -> dict[int, dict[str, int]]:
    """{report year: {state: count}}, every state present (0 when none), newest season first."""
    q = (
        select(Season.report_year, ReportRow.state, func.count(ReportRow.id))
        .join(ReportRow, ReportRow.season_id == Season.id, isouter=True)
        .group_by(Season.report_year, ReportRow.state)
    )
    if season_id is not None:
        q = q.where(Season.id == season_id)
    out: dict[int, dict[str, int]] = {}
    for year, state, n in session.execute(q).tuples():
        counts = out.setdefault(year, {s.value: 0 for s in ReportState})
        if state is not None:
            counts[state] = n
    return dict(sorted(out.items(), reverse=True))


def body_reports(session: Session, body_id: int) -> Sequence[ReportRow]:
    """A body's reports, newest season first."""
    return session.scalars(
        select(ReportRow)
        .join(Season, Season.id == ReportRow.season_id)
        .where(ReportRow.body_id == body_id)
        .order_by(Season.report_year.desc())
    ).all()


def reviewer_queue(session: Session, reviewer_id: int) -> list[ReportRow]:
    """Reports in review at a stage this reviewer decides, in their jurisdiction, oldest first."""
    reviewer = session.get(User, reviewer_id)
    if reviewer is None:
        return []
    q = (
        select(ReportRow)
        .join(Body, Body.id == ReportRow.body_id)
        .where(ReportRow.state == ReportState.IN_REVIEW.value)
        .order_by(ReportRow.state_changed_at)
    )
    if reviewer.role != "admin":
        q = q.where(Body.jurisdiction_id == reviewer.jurisdiction_id)
    rows = session.scalars(q).all()
    if reviewer.review_stage is None:
        return list(rows)
    return [r for r in rows if _stage_of(r) == reviewer.review_stage]


def _stage_of(report: ReportRow) -> str | None:
    stages = report.season.stages or []
    return stages[report.review_stage] if report.review_stage < len(stages) else None


def latest_version(session: Session, report_id: int) -> ReportVersion | None:
    return session.scalar(
        select(ReportVersion)
        .where(ReportVersion.report_id == report_id)
        .order_by(ReportVersion.number.desc())
        .limit(1)
    )


def versions(session: Session, report_id: int) -> Sequence[ReportVersion]:
    return session.scalars(
        select(ReportVersion).where(ReportVersion.report_id == report_id).order_by(ReportVersion.number)
    ).all()


def latest_run(session: Session, version_id: int) -> ValidationRun | None:
    """The newest finished validation run of a version (any catalog version)."""
    return session.scalar(
        select(ValidationRun)
        .where(ValidationRun.version_id == version_id, ValidationRun.status == "done")
        .order_by(ValidationRun.finished_at.desc(), ValidationRun.id.desc())
        .limit(1)
    )
