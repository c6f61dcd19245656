"""Reports for the reviewer-desk tests: last year's report and this year's through review, built with
the services (save, explain the warnings the check asks about, submit, check)."""

from __future__ import annotations

import random

from workflow.clock import now
from workflow.db.models import ReportRow
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.services import checks, drafts, review, submission

CHANGED = ("t2", "licensing", "decisions")  # the cell the tests change between versions
ANCHOR = ".".join(CHANGED)


def reports_for(body_name: str) -> tuple[Report, Report]:
    """(2023, 2024) reports of one body, the second carried on from the first."""
    last = sample_report(random.Random(5), year=2023, body_name=body_name, with_requests=True)
    this = sample_report(random.Random(7), year=2024, body_name=body_name, previous=last, with_requests=True)
    return last, this


def with_cell(content: Report, delta: int) -> Report:
    copy = Report.from_dict(content.to_dict())
    t2 = copy.table(CHANGED[0])
    t2.set(CHANGED[1], CHANGED[2], int(t2.value(CHANGED[1], CHANGED[2]) or 0) + delta)
    return copy


def submit_clean(sessions, report_id: int, actor_id: int | None, content: Report) -> int:
    """Save, explain every warning, submit and check: the report is in review; its version number."""
    with sessions() as s:
        report = s.get(ReportRow, report_id)
        drafts.save_draft(
            s,
            report_id=report_id,
            content=content,
            expected_revision=report.draft_revision,
            actor_id=actor_id,
        )
        report = s.get(ReportRow, report_id)
        previous, imported = checks.previous_report(s, report)
        result = validate(content, previous, previous_imported=imported, today=now().date())
        s.rollback()
        assert not result.errors, [f.message for f in result.errors]
        for f in result.warnings:
            drafts.explain_warning(
                s, report_id=report_id, finding_key=f.key, text="已核实。", actor_id=actor_id
            )
        version_id = submission.submit(s, report_id=report_id, actor_id=actor_id)
        checks.run_checks(s, version_id=version_id)
        s.expire_all()
        report = s.get(ReportRow, report_id)
        assert report.state == "in_review", report.state
        return report.latest_version


def approve_all_stages(sessions, report_id: int, reviewer_id: int) -> None:
    with sessions() as s:
        for _ in range(4):
            s.expire_all()
            report = s.get(ReportRow, report_id)
            if report.state != "in_review":
                return
            version = report.latest_version
            s.rollback()
            review.decide(
                s, report_id=report_id, reviewer_id=reviewer_id, decision="approve", expected_version=version
            )
