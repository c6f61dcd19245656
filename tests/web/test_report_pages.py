"""The report pages read the previous year's report, the latest check and the explanations in one
statement (workflow.web.pagedata.facts): what they show from each."""

from __future__ import annotations

import random

from conftest import clean_report, to_review

from workflow.db.factories import make_season
from workflow.db.models import ReportRow, ReportVersion, ValidationRun, WarningExplanation
from workflow.domain.samples import sample_report
from workflow.services import drafts
from workflow.web import findings


def _recheck_with_a_warning(db, report_id: int) -> None:
    """A later run of the latest version finding one warning, and the submitter's explanation of it."""
    with db.sessions() as s:
        version = s.query(ReportVersion).filter_by(report_id=report_id).one()
        warning = {
            "rule": "T9",
            "key": "T9:s5",
            "severity": "warning",
            "message": "第五部分的测试警告。",
            "where": {"section": 5, "table": None, "row": None, "column": None},
        }
        s.add(
            ValidationRun(
                version_id=version.id,
                catalog_version="test-recheck",
                status="done",
                findings=[warning],
                not_assessed=[],
                error_count=0,
                warning_count=1,
            )
        )
        s.add(WarningExplanation(report_id=report_id, finding_key="T9:s5", text="已在第五部分补充说明。"))
        s.commit()


def _last_year_in_review(world, db):
    """鲁沙尔镇's 2023 report, submitted and checked: the previous year of the 2024 report."""
    with db.sessions() as s:
        last_season = make_season(s, 2023)
        s.commit()
        last = drafts.create_report(
            s, body_id=world.ids["ours"], season_id=last_season.id, actor_id=None, content=None
        )
    last_year = clean_report(2023)
    to_review(db, last, world.ids["clerk"], last_year)
    return last_year


def test_report_pages_show_the_previous_year_the_latest_check_and_the_explanations(world, browser, db):
    last_year = _last_year_in_review(world, db)
    this_year = sample_report(random.Random(8), year=2024, body_name="鲁沙尔镇人民政府", previous=last_year)
    to_review(db, world.report_id, world.ids["clerk"], this_year)

    review = browser("reviewer").get(f"/review/{world.report_id}")
    assert "与上一年度报告相比" in review.text  # the previous year's submitted version, diffed
    assert "没有发现问题。" in review.text and "第五部分的测试警告。" not in review.text

    _recheck_with_a_warning(db, world.report_id)
    review = browser("reviewer").get(f"/review/{world.report_id}")
    assert "第五部分的测试警告。" in review.text  # the latest finished run wins
    assert "报送单位说明：已在第五部分补充说明。" in review.text
    status = browser("lushaer").get(f"/reports/{world.report_id}")
    assert "第五部分的测试警告。" in status.text and "说明：已在第五部分补充说明。" in status.text


def test_the_api_checks_the_draft_against_the_previous_year_as_the_form_does(world, browser, db):
    last_year = _last_year_in_review(world, db)
    this_year = sample_report(random.Random(9), year=2024, body_name="鲁沙尔镇人民政府")  # not carried over
    with db.sessions() as s:
        rev = s.get(ReportRow, world.report_id).draft_revision
        drafts.save_draft(
            s, report_id=world.report_id, content=this_year, expected_revision=rev, actor_id=None
        )
        s.add(
            WarningExplanation(
                report_id=world.report_id, finding_key="E5:t3", text="今年申请量确有大幅增加。"
            )
        )
        s.commit()

    detail = browser("lushaer").get(f"/api/reports/{world.report_id}").json()
    assert detail["findings"] == findings.check(this_year, last_year)
    assert "E1" in {f["rule"] for f in detail["findings"]}  # 上年结转 against last year's 结转下年度
    assert detail["explanations"] == {"E5:t3": "今年申请量确有大幅增加。"}
    form = browser("lushaer").get(f"/reports/{world.report_id}/edit")
    e1 = next(f for f in detail["findings"] if f["key"] == "E1@3/t3/carried/total")
    assert e1["message"] in form.text  # the form shows the same finding
