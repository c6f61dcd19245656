"""#13 point 9: pressing a button twice (or two people pressing it) gives a clear answer, never a 500.

The attack: "开始填报" twice gave a 500 (the unique constraint on body and season); a second submission
or a second decision must neither write a second row nor leave the person guessing what happened.
"""

from __future__ import annotations

import pytest
from conftest import clean_report, to_review
from sqlalchemy import func, select

from workflow.db.factories import make_season
from workflow.db.models import ReportRow, ReportVersion, ReviewDecision
from workflow.rules.catalog import validate
from workflow.services import drafts

pytestmark = pytest.mark.both_backends


def _count(db, model, **where) -> int:
    with db.sessions() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return int(s.scalar(q) or 0)


def _new_season(db) -> int:
    with db.sessions() as s:
        season = make_season(s, 2025)
        s.commit()
        return season.id


def _ready(db, rid: int, actor: int) -> None:
    """A clean draft with its warnings explained: one press of 提交 away from submission."""
    content = clean_report()
    with db.sessions() as s:
        rev = s.get(ReportRow, rid).draft_revision
        drafts.save_draft(s, report_id=rid, content=content, expected_revision=rev, actor_id=actor)
        for f in validate(content).warnings:
            drafts.explain_warning(s, report_id=rid, finding_key=f.key, text="已核实。", actor_id=actor)


def test_starting_a_report_twice_leads_to_the_existing_draft(world, browser, db):
    season_id = _new_season(db)
    clerk = browser("lushaer")
    first = clerk.post("/reports", {"season_id": str(season_id)})
    assert first.status_code == 303 and first.headers["location"].endswith("/edit")
    again = clerk.post("/reports", {"season_id": str(season_id)})
    assert again.status_code == 303, again.text[:300]
    assert again.headers["location"] == first.headers["location"]  # the same draft
    page = clerk.get(again.headers["location"])
    assert page.status_code == 200 and "已经开始填报" in page.text
    assert _count(db, ReportRow, body_id=world.ids["ours"], season_id=season_id) == 1


def test_starting_a_report_someone_else_started_leads_to_it(world, browser, db):
    """Two clerks of one body press 开始填报 on pages loaded before either did: both land in one draft."""
    season_id = _new_season(db)
    with db.sessions() as s:
        rid = drafts.create_report(
            s, body_id=world.ids["ours"], season_id=season_id, actor_id=world.ids["clerk"]
        )
    clerk = browser("lushaer")
    r = clerk.post("/reports", {"season_id": str(season_id)})
    assert r.status_code == 303 and r.headers["location"] == f"/reports/{rid}/edit"
    assert _count(db, ReportRow, body_id=world.ids["ours"], season_id=season_id) == 1


def test_starting_a_report_twice_through_the_api(world, browser, db):
    season_id = _new_season(db)
    clerk = browser("lushaer")
    first = clerk.api("POST", "/api/reports", json={"season_id": season_id})
    assert first.status_code == 201, first.text
    again = clerk.api("POST", "/api/reports", json={"season_id": season_id})
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["state"] == "draft"
    assert _count(db, ReportRow, body_id=world.ids["ours"], season_id=season_id) == 1


def test_submitting_twice_says_already_submitted(world, browser, db):
    _ready(db, world.report_id, world.ids["clerk"])
    clerk = browser("lushaer")
    first = clerk.post(f"/reports/{world.report_id}/submit")
    assert first.status_code == 303
    again = clerk.post(f"/reports/{world.report_id}/submit")
    assert again.status_code == 303, again.text[:300]
    assert again.headers["location"] == f"/reports/{world.report_id}"
    page = clerk.get(again.headers["location"])
    assert "已提交" in page.text and "无需再次提交" in page.text
    assert _count(db, ReportVersion, report_id=world.report_id) == 1


def test_submitting_twice_through_the_api(world, browser, db):
    _ready(db, world.report_id, world.ids["clerk"])
    clerk = browser("lushaer")
    first = clerk.api("POST", f"/api/reports/{world.report_id}/submit")
    assert first.status_code == 200, first.text
    again = clerk.api("POST", f"/api/reports/{world.report_id}/submit")
    assert again.status_code == 409, again.text
    assert "已提交" in again.json()["detail"]
    assert _count(db, ReportVersion, report_id=world.report_id) == 1


def test_a_double_click_on_approve_says_already_decided(world, browser, db):
    version = to_review(db, world.report_id, world.ids["clerk"], clean_report())
    reviewer = browser("reviewer")
    data = {"decision": "approve", "version": str(version)}
    assert reviewer.post(f"/review/{world.report_id}/decide", data).status_code == 303
    with db.sessions() as s:
        state = s.get(ReportRow, world.report_id).state
        stage = s.get(ReportRow, world.report_id).review_stage
    # The first approval moved the report to the second stage; the same form sent again must not
    # approve the second stage too.
    again = reviewer.post(f"/review/{world.report_id}/decide", data | {"stage": "0"})
    assert again.status_code == 409, again.text[:300]
    assert "您已对该版本作出决定" in again.text
    with db.sessions() as s:
        row = s.get(ReportRow, world.report_id)
        assert (row.state, row.review_stage) == (state, stage)
    assert _count(db, ReviewDecision, report_id=world.report_id) == 1


def test_two_reviewers_deciding_the_same_version(world, browser, db):
    version = to_review(db, world.report_id, world.ids["clerk"], clean_report())
    reviewer, admin = browser("reviewer"), browser("admin")
    data = {"decision": "return", "version": str(version), "comment.general": "请修改。"}
    assert reviewer.post(f"/review/{world.report_id}/decide", data).status_code == 303
    late = admin.post(f"/review/{world.report_id}/decide", data | {"comment.general": "另一份意见"})
    assert late.status_code == 409 and "已由其他审核人作出决定" in late.text
    assert "另一份意见" in late.text  # what the late reviewer typed is kept on the page
    assert _count(db, ReviewDecision, report_id=world.report_id) == 1
    with db.sessions() as s:
        assert s.get(ReportRow, world.report_id).state == "returned"


def test_deciding_twice_through_the_api(world, browser, db):
    version = to_review(db, world.report_id, world.ids["clerk"], clean_report())
    reviewer = browser("reviewer")
    body = {"decision": "return", "expected_version": version, "comments": {"general": "请修改。"}}
    first = reviewer.api("POST", f"/api/reports/{world.report_id}/decision", json=body)
    assert first.status_code == 200, first.text
    again = reviewer.api("POST", f"/api/reports/{world.report_id}/decision", json=body)
    assert again.status_code == 409, again.text
    assert "您已对该版本作出决定" in again.json()["detail"]
    assert _count(db, ReviewDecision, report_id=world.report_id) == 1
