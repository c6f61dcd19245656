"""Two reviewers decide the same report at the same moment: exactly one decision, the other is told.

200 rounds on PostgreSQL (two threads behind a barrier, each with its own session); a shorter run on
SQLite shows the embedded default is safe too.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workflow.db.factories import make_body, make_season, make_user
from workflow.db.models import ReportRow, ReportVersion, ReviewDecision, ValidationRun
from workflow.db.session import make_engine
from workflow.domain.samples import sample_report
from workflow.services import checks, drafts, review, submission
from workflow.services.accounts import cached_hash
from workflow.services.errors import AlreadyDecided

pytestmark = pytest.mark.integration


def _reports_in_review(sessions: sessionmaker[Session], n: int) -> tuple[list[int], list[int]]:
    """n reports of n bodies, checked and waiting at the first stage; two reviewers of that stage.

    The first report takes the real path (create, submit, check); the others are copies written in one
    transaction, which keeps the 200-round setup fast: the race under test is the decision.
    """
    with sessions() as s:
        season = make_season(s, 2026)  # body_head, then district_office
        pw = cached_hash("demo1234")
        reviewers = [
            make_user(s, f"head{i}", role="reviewer", review_stage="body_head", password_hash=pw).id
            for i in (1, 2)
        ]
        bodies = [make_body(s, f"第{i}镇人民政府", code=f"t{i}") for i in range(n)]
        s.commit()
        season_id, first_body = season.id, bodies[0]
    content = sample_report(random.Random(3), body_name=first_body.name, year=2026)
    with sessions() as s:
        first = drafts.create_report(
            s, body_id=first_body.id, season_id=season_id, actor_id=None, content=content
        )
    with sessions() as s:
        vid = submission.submit(s, report_id=first, actor_id=None)
    with sessions() as s:
        assert checks.run_checks(s, version_id=vid)
        template = s.get(ReportVersion, vid)
        run = s.scalars(select(ValidationRun).where(ValidationRun.version_id == vid)).one()
        assert template is not None and _row_state(s, first) == "in_review"
        report_ids = [first]
        for body in bodies[1:]:
            row = ReportRow(
                body_id=body.id,
                season_id=season_id,
                state="in_review",
                draft=template.content,
                draft_revision=1,
                latest_version=1,
                review_stage=0,
            )
            s.add(row)
            s.flush()
            version = ReportVersion(
                report_id=row.id, number=1, content=template.content, content_hash=template.content_hash
            )
            s.add(version)
            s.flush()
            s.add(ValidationRun(version_id=version.id, catalog_version=run.catalog_version, status="done"))
            report_ids.append(row.id)
        s.commit()
    return report_ids, reviewers


def _row_state(s: Session, report_id: int) -> str:
    row = s.get(ReportRow, report_id)
    assert row is not None
    return row.state


def _race(url: str, report_ids: list[int], reviewers: list[int]) -> Counter[str]:
    engine = make_engine(url, pool_size=4) if not url.startswith("sqlite") else make_engine(url)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    for rid in report_ids:
        barrier = threading.Barrier(2)
        results: list[str] = []

        def decide(reviewer_id: int, decision: str, rid: int = rid, barrier=barrier, results=results) -> None:
            with sessions() as s:
                barrier.wait()
                try:
                    out = review.decide(
                        s,
                        report_id=rid,
                        reviewer_id=reviewer_id,
                        decision=decision,
                        expected_version=1,
                        reason_codes=["incomplete"],
                    )
                except AlreadyDecided as exc:
                    out = "already:" + exc.message
            with lock:
                results.append(out)

        threads = [
            threading.Thread(target=decide, args=(reviewers[0], "approve")),
            threading.Thread(target=decide, args=(reviewers[1], "return")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        winners = [r for r in results if not r.startswith("already:")]
        losers = [r for r in results if r.startswith("already:")]
        assert len(winners) == 1 and len(losers) == 1, (rid, results)
        assert "已由其他审核人" in losers[0]
        outcomes[winners[0]] += 1
    engine.dispose()
    return outcomes


def _assert_one_decision_each(sessions: sessionmaker[Session], report_ids: list[int]) -> None:
    with sessions() as s:
        per_report = Counter(s.scalars(select(ReviewDecision.report_id)))
        states = dict(s.execute(select(ReportRow.id, ReportRow.state)).tuples().all())
        runs = s.scalar(select(ValidationRun.id).where(ValidationRun.status != "done"))
    assert runs is None
    assert all(per_report[rid] == 1 for rid in report_ids)
    assert {states[rid] for rid in report_ids} <= {"in_review", "returned"}  # approved: on to stage 2


@pytest.mark.postgres
@pytest.mark.slow
def test_two_reviewers_200_times_on_postgres(postgres_db, sent, clock) -> None:
    report_ids, reviewers = _reports_in_review(postgres_db.sessions, 200)
    outcomes = _race(postgres_db.url, report_ids, reviewers)
    assert sum(outcomes.values()) == 200
    _assert_one_decision_each(postgres_db.sessions, report_ids)


def test_two_reviewers_at_once_on_any_backend(db, sent, clock) -> None:
    report_ids, reviewers = _reports_in_review(db.sessions, 20)
    outcomes = _race(db.url, report_ids, reviewers)
    assert sum(outcomes.values()) == 20
    _assert_one_decision_each(db.sessions, report_ids)
