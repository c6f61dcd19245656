"""Migrations, outbox, named queries, the demo seed and the operator CLI on a real database."""

from __future__ import annotations

import json
import random

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from workflow.cli import main as cli
from workflow.db.factories import make_body, make_season, make_user
from workflow.db.models import AuditEvent, Base, Body, ReportRow, User
from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.services import checks, drafts, queries, review, seed, submission
from workflow.services.accounts import cached_hash, verify_password
from workflow.services.outbox import enqueue_after_commit

pytestmark = pytest.mark.integration


def test_migrations_match_the_models(db) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_outbox_sends_after_commit_and_drops_on_rollback(db, sent) -> None:
    with db.sessions() as s:
        enqueue_after_commit(s, "check_report", version_id=1)
        assert sent.sent == []  # nothing leaves before the commit
        s.commit()
    assert sent.sent == [("check_report", {"version_id": 1})]
    with db.sessions() as s:
        enqueue_after_commit(s, "check_report", version_id=2)
        s.rollback()
        s.commit()
    assert sent.names() == ["check_report"]


def test_seed_is_idempotent_and_imports_lushaer(db, corpus) -> None:
    # The past season (2025, published) has its own test: tests/integration/test_seed_demo.py.
    with db.sessions() as s:
        added = seed.seed_demo(s, corpus, past_season=False)
        s.commit()
    assert added == {"bodies": 15, "users": 17, "seasons": 3, "reports": 1, "publications": 0}
    with db.sessions() as s:
        assert seed.seed_demo(s, corpus, past_season=False) == dict.fromkeys(added, 0)
        s.commit()
    with db.sessions() as s:
        report = s.scalars(select(ReportRow)).one()
        content = Report.from_dict(report.draft)
        assert (report.state, report.season.report_year) == ("draft", 2024)
        assert content.header.body_name == "鲁沙尔镇人民政府" and content.sections
        user = s.scalars(select(User).where(User.username == "lushaer")).one()
        assert verify_password(user.password_hash, seed.DEMO_PASSWORD)
        assert user.body is not None and user.body.name == "鲁沙尔镇人民政府"
        kinds = {b.body_type for b in s.scalars(select(Body))}
        assert {"township", "street", "county_department"} <= kinds
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 2  # the import and the seed


def test_cli_upgrade_and_status(db, corpus, capsys) -> None:
    # `workflow seed-demo` itself (with its published 2025 season) is tested in test_seed_demo.py.
    assert cli(["db", "upgrade"]) == 0
    assert "数据库已迁移到" in capsys.readouterr().out
    with db.sessions() as s:
        seed.seed_demo(s, corpus, past_season=False)
        s.commit()
    assert cli(["status", "--format", "json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["2024"]["draft"] == 1 and sum(counts["2026"].values()) == 0
    assert cli(["status"]) == 0
    assert "2024年度（共 1 份）" in capsys.readouterr().out


def test_reviewer_queue_follows_the_stage(db, clock, sent) -> None:
    with db.sessions() as s:
        body = make_body(s, "多巴镇人民政府")
        season = make_season(s, 2026)
        pw = cached_hash("demo1234")
        head = make_user(s, "head", role="reviewer", review_stage="body_head", password_hash=pw)
        office = make_user(s, "office", role="reviewer", review_stage="district_office", password_hash=pw)
        s.commit()
        content = sample_report(random.Random(5), body_name=body.name, year=2026)
        rid = drafts.create_report(s, body_id=body.id, season_id=season.id, actor_id=None, content=content)
    with db.sessions() as s:
        vid = submission.submit(s, report_id=rid, actor_id=None)
        checks.run_checks(s, version_id=vid)
    with db.sessions() as s:
        assert [r.id for r in queries.reviewer_queue(s, head.id)] == [rid]
        assert queries.reviewer_queue(s, office.id) == []
        review.decide(s, report_id=rid, reviewer_id=head.id, decision="approve", expected_version=1)
    with db.sessions() as s:
        assert queries.reviewer_queue(s, head.id) == []
        assert [r.id for r in queries.reviewer_queue(s, office.id)] == [rid]
        assert queries.reports_per_state(s)[2026]["in_review"] == 1
        assert [r.id for r in queries.body_reports(s, body.id)] == [rid]
        version = queries.latest_version(s, rid)
        assert version is not None and version.number == 1
        run = queries.latest_run(s, version.id)
        assert run is not None and run.status == "done"
