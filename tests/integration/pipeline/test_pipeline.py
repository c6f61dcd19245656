"""A report goes draft → published through real worker processes, with one return-and-resubmit round."""

from __future__ import annotations

import pytest
from pipeline_support import make_district, new_report, runs_of, state_of, wait_for
from sqlalchemy import select

from workflow.db.models import AuditEvent, Publication, ReportRow, ReviewDecision
from workflow.domain.model import Report
from workflow.services.drafts import save_draft
from workflow.services.review import decide
from workflow.services.submission import submit

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.both_backends]


def test_draft_to_published_with_one_return_round(db, broker, make_pipeline) -> None:
    pipeline = make_pipeline(broker)
    pipeline.start_worker("w1", concurrency=2)
    with db.sessions() as s:
        d = make_district(s)
        report_id = new_report(s, d, d.body_ids[0])

        v1 = submit(s, report_id=report_id, actor_id=d.submitter_id)
        wait_for(lambda: state_of(s, report_id) == "in_review", 30, "version 1 checked", pipeline)
        [run] = runs_of(s, v1)
        assert (run.status, run.error_count, run.warning_count) == ("done", 0, 0)

        assert decide(
            s, report_id=report_id, reviewer_id=d.reviewer_id, decision="return", expected_version=1,
            comments={2: "请补充主动公开政府信息的具体栏目。"},
        ) == "returned"  # fmt: skip

        report = s.get(ReportRow, report_id, populate_existing=True)
        content = Report.from_dict(report.draft)
        content.sections[2].text += "\n本年度新增“重点领域信息公开”专栏，集中发布相关信息。"
        save_draft(
            s, report_id=report_id, content=content, expected_revision=report.draft_revision,
            actor_id=d.submitter_id,
        )  # fmt: skip
        v2 = submit(s, report_id=report_id, actor_id=d.submitter_id)
        assert v2 != v1
        wait_for(lambda: state_of(s, report_id) == "in_review", 30, "version 2 checked", pipeline)

        for _stage in ("body_head", "district_office"):
            decide(s, report_id=report_id, reviewer_id=d.reviewer_id, decision="approve", expected_version=2)
        wait_for(lambda: state_of(s, report_id) == "published", 60, "published by the worker", pipeline)

        s.rollback()
        [publication] = s.scalars(select(Publication).where(Publication.report_id == report_id)).all()
        assert publication.version_id == v2
        assert publication.artifacts  # rendered files recorded
        decisions = s.scalars(select(ReviewDecision.decision).where(ReviewDecision.report_id == report_id))
        assert list(decisions) == ["return", "approve", "approve"]
        path = [
            e.action
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.report_id == report_id).order_by(AuditEvent.id)
            )
        ]
        transitions = [
            a.removeprefix("report.") for a in path if a != "report.create" and a != "report.save_draft"
        ]
        assert transitions == [
            "submit", "start_check", "checks_passed", "return", "edit", "submit", "start_check",
            "checks_passed", "approve_stage", "approve", "publish",
        ]  # fmt: skip
