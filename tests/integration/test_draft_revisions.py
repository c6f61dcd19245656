"""Every save of a draft is a restorable revision; explanations are stored together (issue #15.1, #15.4).

On both backends: the revision is written in the draft's own transaction (a stale save writes neither),
a restore is a new save of the old content, pruning keeps the newest revisions and one autosave per
hour of older ones, and the explanations panel's texts are stored all together or not at all."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from workflow.db.factories import make_body, make_season, make_user
from workflow.db.models import AuditEvent, DraftRevision, ReportRow, WarningExplanation
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.services import drafts
from workflow.services.errors import ServiceError, StaleVersion

pytestmark = [pytest.mark.integration, pytest.mark.both_backends]


@pytest.fixture
def report(db, clock):
    with db.sessions() as s:
        body = make_body(s, "鲁沙尔镇人民政府", code="lushaer")
        season = make_season(s, 2026)
        clerk = make_user(s, "lushaer", body=body, password_hash="x")
        s.commit()
        ids = (body.id, season.id, clerk.id)
    content = sample_report(random.Random(3), body_name="鲁沙尔镇人民政府", year=2026)
    with db.sessions() as s:
        rid = drafts.create_report(s, body_id=ids[0], season_id=ids[1], actor_id=ids[2], content=content)
    return rid, ids[2], content


def _save(db, rid, clerk, content, revision, **kw):
    with db.sessions() as s:
        return drafts.save_draft(
            s, report_id=rid, content=content, expected_revision=revision, actor_id=clerk, **kw
        )


def _revisions(db, rid):
    with db.sessions() as s:
        return [(r.revision, r.kind, r.changes) for r in drafts.revision_list(s, rid)]


def test_each_save_is_a_revision_with_what_changed(db, report):
    rid, clerk, content = report
    changed = Report.from_dict(content.to_dict())
    changed.table("t2").set("licensing", "decisions", "17")
    changed.sections[5].text += "\n另有整改一项。"
    assert _save(db, rid, clerk, changed, 1, kind="autosave") == 2
    rows = _revisions(db, rid)
    assert [r[:2] for r in rows] == [(2, "autosave"), (1, "create")]
    assert "改了 1 个单元格（表二）" in rows[0][2] and "五、" in rows[0][2]
    with db.sessions() as s:
        stored = drafts.last_revision(s, rid, 2)
        assert (
            stored is not None
            and Report.from_dict(stored.content).table("t2").value("licensing", "decisions") == 17
        )


def test_a_stale_save_writes_no_revision_and_a_restore_is_a_new_save(db, report):
    rid, clerk, content = report
    mine = Report.from_dict(content.to_dict())
    mine.header.title = "第二稿"
    _save(db, rid, clerk, mine, 1)
    with pytest.raises(StaleVersion):
        _save(db, rid, clerk, content, 1)  # based on revision 1: refused, nothing written
    assert [r[0] for r in _revisions(db, rid)] == [2, 1]
    with db.sessions() as s:
        assert drafts.restore_revision(s, report_id=rid, revision=1, expected_revision=2, actor_id=clerk) == 3
    with db.sessions() as s:
        row = s.get(ReportRow, rid)
        assert Report.from_dict(row.draft).header.title == content.header.title
        assert row.draft_revision == 3
        kinds = s.scalars(select(AuditEvent.action).where(AuditEvent.report_id == rid)).all()
        assert "report.restore_revision" in kinds
    rows = _revisions(db, rid)
    assert rows[0][:2] == (3, "restore") and "恢复到第 1 次保存" in rows[0][2]
    with db.sessions() as s:  # the restore itself can be undone
        drafts.restore_revision(s, report_id=rid, revision=2, expected_revision=3, actor_id=clerk)
        assert Report.from_dict(s.get(ReportRow, rid).draft).header.title == "第二稿"
    with db.sessions() as s, pytest.raises(StaleVersion):
        drafts.restore_revision(s, report_id=rid, revision=1, expected_revision=2, actor_id=clerk)


def test_pruning_keeps_the_newest_and_one_autosave_per_hour_of_older_ones(db, report, clock, monkeypatch):
    rid, clerk, content = report
    monkeypatch.setattr(drafts, "KEEP_REVISIONS", 30)
    revision = 1
    for i in range(24):  # two days ago: 24 autosaves, four an hour for six hours
        clock.advance(minutes=15)
        draft = Report.from_dict(content.to_dict())
        draft.header.title = f"稿 {i}"
        revision = _save(db, rid, clerk, draft, revision, kind="autosave")
    clock.advance(days=2)
    for i in range(15):  # today: 15 more, the 40th revision prunes
        draft = Report.from_dict(content.to_dict())
        draft.header.title = f"今天 {i}"
        revision = _save(db, rid, clerk, draft, revision, kind="autosave")
    assert revision == 40
    with db.sessions() as s:
        kept = s.scalars(
            select(DraftRevision.revision)
            .where(DraftRevision.report_id == rid)
            .order_by(DraftRevision.revision.desc())
        ).all()
    old = [r for r in kept if r <= 25]
    # revisions 2..25 were saved over 6 hours (2-4 in the first hour …): one per hour is left, plus the
    # creation (not an autosave); the newest ones are all there.
    assert list(range(40, 25, -1)) == [r for r in kept if r > 25]
    assert len(old) <= 8 and 1 in old and 25 in old
    assert len(kept) <= 30


def test_explanations_are_stored_together_or_not_at_all(db, report):
    rid, clerk, _ = report
    with db.sessions() as s:
        n = drafts.explain_warnings(
            s, report_id=rid, texts={"a": "一说明", "b": "二说明", "c": ""}, actor_id=clerk
        )
    assert n == 2

    def stored():
        with db.sessions() as s:
            rows = s.scalars(select(WarningExplanation).where(WarningExplanation.report_id == rid))
            return {r.finding_key: r.text for r in rows}

    assert stored() == {"a": "一说明", "b": "二说明"}
    with db.sessions() as s, pytest.raises(ServiceError) as exc:
        drafts.explain_warnings(s, report_id=rid, texts={"a": "改过的", "b": "长" * 5001}, actor_id=clerk)
    assert "第 2 条警告的说明超过 5000 字" in exc.value.message
    assert stored() == {"a": "一说明", "b": "二说明"}  # nothing of the refused set
    with db.sessions() as s:  # an emptied box removes its explanation; an unchanged one is left
        assert drafts.explain_warnings(s, report_id=rid, texts={"a": "", "b": "二说明"}, actor_id=clerk) == 1
    assert stored() == {"b": "二说明"}


def test_a_draft_and_its_explanations_in_one_transaction(db, report):
    rid, clerk, content = report
    with pytest.raises(StaleVersion):
        _save(db, rid, clerk, content, 7, explanations={"a": "不会保存"})
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(WarningExplanation)) == 0
    _save(db, rid, clerk, content, 1, explanations={"a": "随草稿保存"})
    with db.sessions() as s:
        assert s.scalar(select(WarningExplanation.text)) == "随草稿保存"
