"""Publishing an approved report: render every artifact, store it immutably, record the publication.

`publish(session, report_id=…)` is what the `publish_report` task calls.  It is idempotent: run twice
(a redelivered message, the sweeper, two workers) it publishes once and returns the same publication.

Rendering a PDF takes a good part of a second, so no transaction is held open while it happens (on
SQLite every transaction holds the write lock): we read, end the transaction, render and store (content-
addressed storage makes a duplicate render harmless), then write the publication row and move the report
to published in one short transaction.  The unique constraint on publications.version_id and the
conditional state change in review.mark_published decide a race; the loser returns the winner's row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import Publication, ReportVersion
from workflow.db.session import begin_write
from workflow.domain.model import Report
from workflow.domain.states import STATE_LABELS, ReportState
from workflow.publish.artifacts import render_all
from workflow.publish.html import PublicationMeta
from workflow.services import contests
from workflow.services.errors import InvalidTransition, ServiceError, StateConflict
from workflow.services.lifecycle import get_report, get_version
from workflow.storage import ArtifactStorage, get_storage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Plan:
    report_id: int
    version_id: int
    version_number: int
    content: Report
    published_at: datetime
    first_published_at: datetime
    correction_note: str | None
    contested: tuple[dict[str, object], ...] = ()


def publish(session: Session, *, report_id: int, storage: ArtifactStorage | None = None) -> Publication:
    """approved → published, with every artifact stored; the existing publication if already done."""
    plan_or_done = _plan(session, report_id)
    if isinstance(plan_or_done, Publication):
        return plan_or_done
    plan = plan_or_done
    artifacts = _render_and_store(plan, storage or get_storage())
    try:
        return _record(session, plan, artifacts)
    except (IntegrityError, StateConflict):
        session.rollback()
        existing = _publication_of(session, plan.version_id)
        if existing is None:
            raise
        log.info("report %s version %s was published concurrently", report_id, plan.version_number)
        return existing


def _plan(session: Session, report_id: int) -> _Plan | Publication:
    try:
        report = get_report(session, report_id)
        version = get_version(session, report_id, report.latest_version)
        existing = _publication_of(session, version.id)
        if existing is not None:
            return existing
        if report.state != ReportState.APPROVED.value:
            raise InvalidTransition(
                f"报告当前状态为“{STATE_LABELS[ReportState(report.state)]}”，尚未审定，不能公开",
                state=report.state,
            )
        earlier = _publications(session, report_id)
        published_at = now()
        first = earlier[0].first_published_at if earlier else published_at
        note = (report.correction_reason or "").strip() or None
        if earlier and not note:
            note = "对已发布的年度报告进行更正。"
        return _Plan(
            report.id,
            version.id,
            version.number,
            Report.from_dict(version.content),
            published_at,
            first,
            note if earlier or report.is_correction else None,
            contests.accepted_for_publication(session, report.id, until=published_at),
        )
    finally:
        session.rollback()  # end the read transaction before the slow part


def _render_and_store(plan: _Plan, storage: ArtifactStorage) -> dict[str, dict[str, object]]:
    meta = PublicationMeta(
        version=plan.version_number,
        published_at=plan.published_at,
        first_published_at=plan.first_published_at,
        correction_note=plan.correction_note or "",
        report_id=plan.report_id,
        contested=plan.contested,
    )
    stored = {}
    for name, artifact in render_all(plan.content, meta).items():
        stored[name] = storage.put(artifact.data, suffix=name, media_type=artifact.media_type).to_dict()
    return stored


def _record(session: Session, plan: _Plan, artifacts: dict[str, dict[str, object]]) -> Publication:
    from workflow.services import review

    begin_write(session)
    publication = Publication(
        report_id=plan.report_id,
        version_id=plan.version_id,
        published_at=plan.published_at,
        first_published_at=plan.first_published_at,
        correction_note=plan.correction_note,
        artifacts=artifacts,
    )
    session.add(publication)
    session.flush()  # the unique version_id decides a race here, before the state change
    review.mark_published(
        session, report_id=plan.report_id, version_id=plan.version_id, published_at=plan.published_at
    )
    if session.in_transaction():  # mark_published commits itself; commit here if it did not
        session.commit()
    return publication


def _publication_of(session: Session, version_id: int) -> Publication | None:
    return session.scalar(select(Publication).where(Publication.version_id == version_id))


def _publications(session: Session, report_id: int) -> list[Publication]:
    stmt = select(Publication).where(Publication.report_id == report_id).order_by(Publication.published_at)
    return list(session.scalars(stmt))


def publications_of(session: Session, report_id: int) -> list[Publication]:
    """Every publication of a report, the first first (the portal's version list)."""
    return _publications(session, report_id)


def version_of(session: Session, publication: Publication) -> ReportVersion:
    v = session.get(ReportVersion, publication.version_id)
    if v is None:
        raise ServiceError("发布记录对应的报告版本不存在", code=500)
    return v
