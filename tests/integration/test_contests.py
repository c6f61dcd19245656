"""When the checker is wrong: contest → review → accepted → published, and the rejected path.

A clerk the day before the deadline faces an error she is sure is wrong.  She contests it with a reason;
the report goes on to review instead of being stranded; the reviewer accepts it (the report is approved
and published, the published data marks the finding as contested and accepted, and `workflow findings
--contested` lists it) or rejects it with a comment (the error blocks again)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.cli import main as cli
from workflow.db.factories import make_body, make_season, make_user
from workflow.db.models import AuditEvent, FindingContest, ReportRow
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.services import checks, contests, drafts, publication, review, submission
from workflow.services.accounts import cached_hash
from workflow.services.errors import ServiceError, SubmissionBlocked
from workflow.storage import LocalStorage

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

BODY = "鲁沙尔镇人民政府"


@dataclass
class World:
    sessions: sessionmaker[Session]
    report_id: int
    clerk: int
    office: int


@pytest.fixture
def world(db, clock, sent) -> World:
    with db.sessions() as s:
        body = make_body(s, BODY, code="lushaer")
        season = make_season(s, 2026, stages=["district_office"])
        pw = cached_hash("demo1234")
        clerk = make_user(s, "lushaer", body=body, password_hash=pw)
        office = make_user(s, "office", role="reviewer", review_stage="district_office", password_hash=pw)
        s.commit()
        ids = (body.id, season.id, clerk.id, office.id)
    content = sample_report(random.Random(7), body_name=BODY, year=2026)
    # The clerk's 表三 total of new requests is one more than the sum of its columns: the checker says
    # error, the clerk says the table is right (say: one request from a body the columns don't list).
    t3 = content.table("t3")
    t3.set("new", "total", (t3.value("new", "total") or 0) + 1)
    with db.sessions() as s:
        report_id = drafts.create_report(
            s, body_id=ids[0], season_id=ids[1], actor_id=ids[2], content=content
        )
    return World(db.sessions, report_id, ids[2], ids[3])


def _row(w: World) -> ReportRow:
    with w.sessions() as s:
        row = s.get(ReportRow, w.report_id)
        assert row is not None
        s.expunge(row)
        return row


def _errors(w: World, clock) -> list[str]:
    return [f.key for f in validate(Report.from_dict(_row(w).draft), None, today=clock.now().date()).errors]


def _contest_all(w: World, clock) -> list[str]:
    keys = _errors(w, clock)
    assert keys, "the draft should have errors to contest"
    for key in keys:
        with w.sessions() as s:
            contests.contest_error(
                s,
                report_id=w.report_id,
                finding_key=key,
                reason="该单位另收到1件上级转办申请，表格列未列出",
                actor_id=w.clerk,
            )
    return keys


def _submit_and_check(w: World) -> int:
    with w.sessions() as s:
        version_id = submission.submit(s, report_id=w.report_id, actor_id=w.clerk)
    with w.sessions() as s:
        assert checks.run_checks(s, version_id=version_id) is True
    return version_id


def _decide_contests(w: World, keys: list[str], *, accept: bool, comment: str = "") -> None:
    for key in keys:
        with w.sessions() as s:
            contests.decide_contest(
                s,
                report_id=w.report_id,
                finding_key=key,
                accept=accept,
                comment=comment,
                reviewer_id=w.office,
            )


def _decide(w: World, decision: str, **kw) -> str:
    with w.sessions() as s:
        return review.decide(
            s,
            report_id=w.report_id,
            reviewer_id=w.office,
            decision=decision,
            expected_version=_row(w).latest_version,
            **kw,
        )


def test_contest_accepted_then_published(world: World, clock, tmp_path, capsys, monkeypatch) -> None:
    w = world
    with w.sessions() as s, pytest.raises(SubmissionBlocked, match="异议"):
        submission.submit(
            s, report_id=w.report_id, actor_id=w.clerk
        )  # the error blocks, and says the way out

    keys = _contest_all(w, clock)
    _submit_and_check(w)
    assert _row(w).state == "in_review"  # the contested errors went on to review with the report

    with pytest.raises(ServiceError, match="未作决定"):
        _decide(w, "approve")  # the reviewer must decide the contests first
    _decide_contests(w, keys, accept=True)
    _decide_contests(w, keys[:1], accept=True)  # a double click changes nothing
    assert _decide(w, "approve") == "approved"

    storage = LocalStorage(tmp_path / "artifacts")
    with w.sessions() as s:
        pub = publication.publish(s, report_id=w.report_id, storage=storage)
    art = pub.artifacts["json"]
    data = json.loads(storage.get(art["path"], sha256=art["sha256"]))
    contested = data["contested_findings"]
    assert {c["rule"] for c in contested} == {k.split("@")[0] for k in keys}
    assert all(c["status"] == "contested_accepted" and "上级转办" in c["reason"] for c in contested)
    assert _row(w).state == "published"

    with w.sessions() as s:
        actions = [a.action for a in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("report.contest_error") == len(keys)
    assert actions.count("report.accept_contest") == len(keys)

    assert cli(["findings", "--contested"]) == 0
    out = capsys.readouterr().out
    assert f"共 {len(keys)} 条异议" in out and BODY in out and "上级转办" in out
    assert cli(["findings", "--contested", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(r["rule"], r["report_id"]) for r in listed} == {(k.split("@")[0], w.report_id) for k in keys}


def test_contest_rejected_blocks_again(world: World, clock) -> None:
    w = world
    keys = _contest_all(w, clock)
    _submit_and_check(w)
    with pytest.raises(ServiceError, match="写明理由"):
        _decide_contests(w, keys[:1], accept=False)  # a rejection says why
    _decide_contests(w, keys[:1], accept=False, comment="表三合计应等于各列之和，请核对后改正")
    with pytest.raises(ServiceError, match="已被驳回"):
        _decide(w, "approve")
    assert _decide(w, "return", comments={3: "请改正表三的合计"}) == "returned"

    with w.sessions() as s:
        rejected = s.scalars(select(FindingContest).where(FindingContest.status == "rejected")).all()
    assert [c.decision_comment for c in rejected] == ["表三合计应等于各列之和，请核对后改正"]
    # Back in the clerk's hands (an edit moves the returned report to draft): the rejected error blocks.
    content = Report.from_dict(_row(w).draft)
    content.sections[1].text += "本年度信息公开工作有序开展。"
    with w.sessions() as s:
        drafts.save_draft(
            s,
            report_id=w.report_id,
            content=content,
            expected_revision=_row(w).draft_revision,
            actor_id=w.clerk,
        )
    with w.sessions() as s, pytest.raises(SubmissionBlocked) as refused:
        submission.submit(s, report_id=w.report_id, actor_id=w.clerk)
    assert [f["key"] for f in refused.value.details["findings"]] == keys[:1]


def test_only_a_current_error_can_be_contested(world: World) -> None:
    w = world
    with w.sessions() as s, pytest.raises(ServiceError, match="已不存在"):
        contests.contest_error(
            s, report_id=w.report_id, finding_key="B1@3/t2/none/none", reason="x", actor_id=w.clerk
        )
    with w.sessions() as s, pytest.raises(ServiceError, match="理由"):
        contests.contest_error(
            s, report_id=w.report_id, finding_key="B1@3/t3/new/total", reason=" ", actor_id=w.clerk
        )
    with w.sessions() as s:
        assert s.scalar(select(FindingContest.id)) is None
