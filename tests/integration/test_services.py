"""The service layer end to end on a real database: the full path, and every refusal leaves no trace."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.db.factories import make_body, make_season, make_user
from workflow.db.models import (
    AuditEvent,
    ReportRow,
    ReportVersion,
    ReviewComment,
    ReviewDecision,
    ValidationRun,
)
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.services import checks, drafts, review, submission
from workflow.services.accounts import cached_hash
from workflow.services.errors import (
    AlreadyDecided,
    ImportRejected,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    StateConflict,
    SubmissionBlocked,
    UploadTooLarge,
)

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]

BODY = "鲁沙尔镇人民政府"


@dataclass
class World:
    sessions: sessionmaker[Session]
    report_id: int
    submitter: int
    head: int
    office: int
    season_id: int


@pytest.fixture
def world(db, clock, sent) -> World:
    with db.sessions() as s:
        body = make_body(s, BODY, code="lushaer")
        season = make_season(s, 2026)
        pw = cached_hash("demo1234")
        submitter = make_user(s, "lushaer", body=body, password_hash=pw)
        head = make_user(s, "head", role="reviewer", review_stage="body_head", password_hash=pw)
        office = make_user(s, "office", role="reviewer", review_stage="district_office", password_hash=pw)
        s.commit()
        ids = (body.id, season.id, submitter.id, head.id, office.id)
    with db.sessions() as s:
        content = sample_report(random.Random(7), body_name=BODY, year=2026)
        report_id = drafts.create_report(
            s, body_id=ids[0], season_id=ids[1], actor_id=ids[2], content=content
        )
    return World(db.sessions, report_id, ids[2], ids[3], ids[4], ids[1])


def _row(w: World) -> ReportRow:
    with w.sessions() as s:
        row = s.get(ReportRow, w.report_id)
        assert row is not None
        s.expunge(row)
        return row


def _counts(w: World) -> tuple[int, int, int, int]:
    with w.sessions() as s:
        return tuple(  # type: ignore[return-value]
            len(s.scalars(select(m.id).where(m.report_id == w.report_id)).all())  # type: ignore[attr-defined]
            for m in (ReportVersion, AuditEvent, ReviewDecision, ReviewComment)
        )


def _snapshot(w: World) -> tuple:
    r = _row(w)
    return (r.state, r.review_stage, r.draft_revision, r.latest_version, r.draft, _counts(w))


def _draft(w: World) -> Report:
    return Report.from_dict(_row(w).draft)


def _edit(w: World, change) -> int:
    content = _draft(w)
    change(content)
    with w.sessions() as s:
        return drafts.save_draft(
            s,
            report_id=w.report_id,
            content=content,
            expected_revision=_row(w).draft_revision,
            actor_id=w.submitter,
        )


def _submit_and_check(w: World) -> int:
    with w.sessions() as s:
        version_id = submission.submit(s, report_id=w.report_id, actor_id=w.submitter)
    with w.sessions() as s:
        assert checks.run_checks(s, version_id=version_id) is True
    return version_id


def _decide(w: World, reviewer: int, decision: str, **kw) -> str:
    with w.sessions() as s:
        return review.decide(
            s,
            report_id=w.report_id,
            reviewer_id=reviewer,
            decision=decision,
            expected_version=_row(w).latest_version,
            **kw,
        )


# ------------------------------------------------------------------------------------------- full path
def test_full_path_with_one_return_round(world: World, sent, clock) -> None:
    w = world
    v1 = _submit_and_check(w)
    assert sent.sent == [("check_report", {"version_id": v1})]
    assert _row(w).state == "in_review"
    with w.sessions() as s:  # a second delivery of the same message does nothing
        assert checks.run_checks(s, version_id=v1) is False
        run = s.scalars(select(ValidationRun).where(ValidationRun.version_id == v1)).one()
        assert (run.status, run.error_count) == ("done", 0)

    assert _decide(w, w.head, "approve") == "in_review"
    assert _row(w).review_stage == 1
    state = _decide(w, w.office, "return", comments={5: "第五部分没有写上年度问题的整改情况", None: "请核对"})
    assert state == "returned"
    with w.sessions() as s:
        comments = {c.section: c.text for c in s.scalars(select(ReviewComment))}
    assert comments[5].startswith("第五部分")

    def fix(r: Report) -> None:
        r.sections[5].text += "针对上年度存在的问题，已逐项整改到位。"

    _edit(w, fix)
    assert (_row(w).state, _row(w).review_stage) == ("draft", 0)
    v2 = _submit_and_check(w)
    assert v2 != v1 and _row(w).latest_version == 2
    assert _decide(w, w.head, "approve") == "in_review"
    clock.advance(hours=1)
    assert _decide(w, w.office, "approve") == "approved"
    assert ("publish_report", {"report_id": w.report_id}) in sent.sent

    published_at = clock.advance(hours=1)
    with w.sessions() as s:
        assert review.mark_published(s, report_id=w.report_id, version_id=v2, published_at=published_at) == (
            "published"
        )
    with w.sessions() as s:  # a retried publication changes nothing
        assert review.mark_published(s, report_id=w.report_id, version_id=v2, published_at=clock.now())
    row = _row(w)
    assert row.state == "published" and row.first_published_at == published_at
    with w.sessions() as s:
        actions = [a.action for a in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions.count("report.submit") == 2 and actions[-1] == "report.publish"


def test_correction_keeps_first_publication_date(world: World, clock) -> None:
    w = world
    v1 = _submit_and_check(w)
    _decide(w, w.head, "approve")
    _decide(w, w.office, "approve")
    first = clock.now()
    with w.sessions() as s:
        review.mark_published(s, report_id=w.report_id, version_id=v1, published_at=first)
    with w.sessions() as s:
        assert review.start_correction(
            s, report_id=w.report_id, reason="表三数字录入错误", actor_id=w.submitter
        )
    row = _row(w)
    assert (row.state, row.is_correction, row.correction_reason) == ("draft", True, "表三数字录入错误")

    def fix(r: Report) -> None:
        r.sections[6].text += "（更正）"

    _edit(w, fix)
    v2 = _submit_and_check(w)
    _decide(w, w.head, "approve")
    _decide(w, w.office, "approve")
    with w.sessions() as s:
        review.mark_published(s, report_id=w.report_id, version_id=v2, published_at=clock.advance(days=3))
    assert _row(w).first_published_at == first


# ---------------------------------------------------------------------------------- submission guards
def test_identical_resubmission_is_refused(world: World) -> None:
    w = world
    _submit_and_check(w)
    _decide(w, w.head, "return", reason_codes=["incomplete"])
    _edit(w, lambda r: None)  # saved, but nothing changed
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(SubmissionBlocked, match="完全相同") as exc:
        submission.submit(s, report_id=w.report_id, actor_id=w.submitter)
    assert exc.value.details["reason"] == "identical"
    assert _snapshot(w) == before


def test_errors_block_submission(world: World, sent) -> None:
    w = world

    def break_it(r: Report) -> None:
        del r.sections[3]

    _edit(w, break_it)
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(SubmissionBlocked, match="错误") as exc:
        submission.submit(s, report_id=w.report_id, actor_id=w.submitter)
    assert exc.value.details["reason"] == "errors" and exc.value.details["findings"]
    assert _snapshot(w) == before and sent.sent == []


def test_unexplained_warnings_block_until_explained(world: World) -> None:
    w = world

    def vague(r: Report) -> None:
        r.sections[1].text += "全年主动公开政府信息300余条。"

    _edit(w, vague)
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(SubmissionBlocked, match="警告") as exc:
        submission.submit(s, report_id=w.report_id, actor_id=w.submitter)
    warnings = exc.value.details["findings"]
    assert warnings and exc.value.details["reason"] == "unexplained_warnings"
    assert _snapshot(w) == before
    for f in warnings:
        with w.sessions() as s:
            drafts.explain_warning(
                s, report_id=w.report_id, finding_key=f["key"], text="按实际口径统计", actor_id=w.submitter
            )
    with w.sessions() as s:
        submission.submit(s, report_id=w.report_id, actor_id=w.submitter)
    assert _row(w).state == "submitted"


# ------------------------------------------------------------------------------- bad input, no trace
def test_illegal_transition_changes_nothing(world: World) -> None:
    w = world
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(InvalidTransition, match="草稿.*发起更正") as exc:
        review.start_correction(s, report_id=w.report_id, reason="想更正", actor_id=w.submitter)
    assert exc.value.code == 409
    assert _snapshot(w) == before


def test_approving_a_draft_is_an_illegal_transition(world: World) -> None:
    w = world
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(InvalidTransition, match="草稿.*审定通过"):
        review.decide(s, report_id=w.report_id, reviewer_id=w.office, decision="approve", expected_version=0)
    assert _snapshot(w) == before


def test_stale_revision_changes_nothing(world: World) -> None:
    w = world
    rev = _row(w).draft_revision
    _edit(w, lambda r: setattr(r, "preamble", "第一次修改"))
    before = _snapshot(w)
    content = _draft(w)
    content.preamble = "基于旧页面的修改"
    with w.sessions() as s, pytest.raises(StaleVersion, match="刷新") as exc:
        drafts.save_draft(
            s, report_id=w.report_id, content=content, expected_revision=rev, actor_id=w.submitter
        )
    assert exc.value.details["current_revision"] == rev + 1
    assert _snapshot(w) == before


def test_stale_version_for_reviewer(world: World) -> None:
    w = world
    _submit_and_check(w)
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(StaleVersion):
        review.decide(s, report_id=w.report_id, reviewer_id=w.head, decision="approve", expected_version=7)
    assert _snapshot(w) == before


def test_unknown_report_id(world: World) -> None:
    w = world
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(NotFound, match="99999") as exc:
        submission.submit(s, report_id=99999, actor_id=w.submitter)
    assert exc.value.code == 404
    with w.sessions() as s, pytest.raises(NotFound):
        drafts.save_draft(s, report_id=99999, content=_draft(w), expected_revision=1, actor_id=w.submitter)
    with w.sessions() as s, pytest.raises(NotFound):
        checks.run_checks(s, version_id=99999)
    assert _snapshot(w) == before


def test_oversized_upload_is_refused_before_parsing(world: World, monkeypatch) -> None:
    w = world
    monkeypatch.setenv("WORKFLOW_MAX_UPLOAD_BYTES", "1024")
    from workflow.settings import get_settings

    get_settings.cache_clear()
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(UploadTooLarge, match="超过上限") as exc:
        drafts.import_upload(
            s,
            report_id=w.report_id,
            data=b"x" * 2048,
            filename="big.txt",
            expected_revision=_row(w).draft_revision,
            actor_id=w.submitter,
        )
    assert exc.value.code == 413
    assert _snapshot(w) == before
    get_settings.cache_clear()


# ------------------------------------------------------------------------------------------- review
def test_wrong_stage_reviewer_is_refused(world: World) -> None:
    w = world
    _submit_and_check(w)
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(PermissionDenied, match="本机关负责人审核"):
        review.decide(s, report_id=w.report_id, reviewer_id=w.office, decision="approve", expected_version=1)
    assert _snapshot(w) == before


def test_second_decision_on_the_same_stage_is_already_decided(world: World) -> None:
    w = world
    _submit_and_check(w)
    _decide(w, w.head, "return", reason_codes=["incomplete"])
    before = _snapshot(w)
    # The same reviewer again (a double click): "you decided already", not "someone else did".
    with w.sessions() as s, pytest.raises(AlreadyDecided, match="您已对该版本作出决定"):
        review.decide(s, report_id=w.report_id, reviewer_id=w.head, decision="approve", expected_version=1)
    assert _snapshot(w) == before


def test_colleague_at_the_same_stage_was_faster(world: World) -> None:
    w = world
    with w.sessions() as s:
        head2 = make_user(
            s, "head2", role="reviewer", review_stage="body_head", password_hash=cached_hash("demo1234")
        ).id
        s.commit()
    _submit_and_check(w)
    _decide(w, w.head, "approve")
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(AlreadyDecided):
        review.decide(
            s,
            report_id=w.report_id,
            reviewer_id=head2,
            decision="return",
            expected_version=1,
            reason_codes=["x"],
        )
    assert _snapshot(w) == before


def test_upload_replaces_the_draft_and_returns_notes(world: World, corpus) -> None:
    w = world
    data = (corpus / "lushaer_2024.txt").read_bytes()
    rev = _row(w).draft_revision
    with w.sessions() as s:
        notes = drafts.import_upload(
            s,
            report_id=w.report_id,
            data=data,
            filename="lushaer_2024.txt",
            expected_revision=rev,
            actor_id=w.submitter,
        )
    assert isinstance(notes, list)
    row = _row(w)
    assert row.draft_revision == rev + 1
    assert "鲁沙尔" in Report.from_dict(row.draft).full_text


def test_unreadable_upload_is_rejected(world: World) -> None:
    w = world
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(ImportRejected) as exc:
        drafts.import_upload(
            s,
            report_id=w.report_id,
            data=b"PK\x03\x04not really a docx",
            filename="report.docx",
            expected_revision=_row(w).draft_revision,
            actor_id=w.submitter,
        )
    assert exc.value.code == 422 and "report.docx" in exc.value.message
    assert _snapshot(w) == before


def test_stale_catalog_is_rechecked_before_approval(world: World, sent) -> None:
    w = world
    v1 = _submit_and_check(w)
    with w.sessions() as s:  # the run was made under an older catalog
        s.execute(
            ValidationRun.__table__.update()
            .where(ValidationRun.version_id == v1)
            .values(catalog_version="old")
        )
        s.commit()
    sent.clear()
    with w.sessions() as s, pytest.raises(StateConflict, match="重新校验"):
        review.decide(s, report_id=w.report_id, reviewer_id=w.head, decision="approve", expected_version=1)
    assert _row(w).state == "checking"
    assert sent.sent == [("check_report", {"version_id": v1})]
    with w.sessions() as s:
        assert checks.run_checks(s, version_id=v1) is True
    assert _row(w).state == "in_review"
    assert _decide(w, w.head, "approve") == "in_review"


def test_withdraw_before_any_decision_only(world: World) -> None:
    w = world
    _submit_and_check(w)
    with w.sessions() as s:
        assert review.withdraw(s, report_id=w.report_id, actor_id=w.submitter) == "draft"

    def change(r: Report) -> None:
        r.preamble = "撤回后修改"

    _edit(w, change)
    _submit_and_check(w)
    _decide(w, w.head, "approve")
    before = _snapshot(w)
    with w.sessions() as s, pytest.raises(InvalidTransition, match="不能撤回"):
        review.withdraw(s, report_id=w.report_id, actor_id=w.submitter)
    assert _snapshot(w) == before


def test_checks_after_withdrawal_store_the_run_but_move_nothing(world: World) -> None:
    w = world
    with w.sessions() as s:
        v1 = submission.submit(s, report_id=w.report_id, actor_id=w.submitter)
    with w.sessions() as s:
        review.withdraw(s, report_id=w.report_id, actor_id=w.submitter)
    with w.sessions() as s:
        assert checks.run_checks(s, version_id=v1) is False
    assert _row(w).state == "draft"


def test_report_versions_are_immutable(world: World) -> None:
    w = world
    v1 = _submit_and_check(w)
    with w.sessions() as s:
        v = s.get(ReportVersion, v1)
        assert v is not None
        v.content_hash = "0" * 64
        with pytest.raises(Exception, match="immutable"):
            s.commit()


def test_checks_resume_after_a_crash_and_store_once(world: World) -> None:
    """A worker that died after claiming leaves checking + running; the next call finishes, once."""
    w = world
    with w.sessions() as s:
        vid = submission.submit(s, report_id=w.report_id, actor_id=w.submitter)
    with w.sessions() as s:
        assert checks._claim(s, vid) is not None  # ... and the worker is killed here
    assert _row(w).state == "checking"
    with w.sessions() as s1, w.sessions() as s2:  # the sweeper's re-delivery, and a duplicate of it
        assert checks.run_checks(s1, version_id=vid) is True
        assert checks.run_checks(s2, version_id=vid) is False
    assert _row(w).state == "in_review"
    with w.sessions() as s:
        runs = s.scalars(select(ValidationRun).where(ValidationRun.version_id == vid)).all()
    assert [(r.status, r.attempts) for r in runs] == [("done", 2)]
    with w.sessions() as s:
        passed = s.scalars(select(AuditEvent).where(AuditEvent.action == "report.checks_passed")).all()
    assert len(passed) == 1
