"""Taking a report through the real services to `approved`, for the publication tests (no tests here)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.db.factories import make_body, make_season, make_user
from workflow.db.models import ReportRow, Season, User
from workflow.domain.model import Report
from workflow.services import review
from workflow.services.accounts import cached_hash
from workflow.services.checks import run_checks
from workflow.services.drafts import create_report, save_draft
from workflow.services.submission import submit


def admin(session: Session) -> User:
    user = session.query(User).filter_by(username="pub-admin").one_or_none()
    if user is None:
        user = make_user(session, "pub-admin", role="admin", password_hash=cached_hash("demo1234"))
        session.commit()
    return user


def season(session: Session, year: int) -> Season:
    found = session.query(Season).filter_by(report_year=year).one_or_none()
    if found is None:
        found = make_season(session, year)
        session.commit()
    return found


def approved_report(session: Session, content: Report) -> int:
    """A new report for the content's body and year, submitted, checked and approved by every stage."""
    assert content.header.year is not None
    body = make_body(session, content.header.body_name)
    s = season(session, content.header.year)
    session.commit()
    report_id = create_report(session, body_id=body.id, season_id=s.id, actor_id=None, content=content)
    submit_and_approve(session, report_id)
    return report_id


def submit_and_approve(session: Session, report_id: int) -> None:
    version_id = submit(session, report_id=report_id, actor_id=None)
    run_checks(session, version_id=version_id)
    session.commit()
    reviewer = admin(session)
    report = session.get(ReportRow, report_id, populate_existing=True)
    assert report is not None and report.state == "in_review", report and report.state
    for _ in report.season.stages:
        review.decide(
            session,
            report_id=report_id,
            reviewer_id=reviewer.id,
            decision="approve",
            expected_version=report.latest_version,
        )
    session.refresh(report)
    assert report.state == "approved"


def correct(session: Session, report_id: int, content: Report, reason: str) -> None:
    """published → a corrected version, approved again."""
    review.start_correction(session, report_id=report_id, reason=reason, actor_id=None)
    report = session.get(ReportRow, report_id, populate_existing=True)
    assert report is not None
    save_draft(
        session, report_id=report_id, content=content, expected_revision=report.draft_revision, actor_id=None
    )
    submit_and_approve(session, report_id)
