"""The sweeper picks exactly the work that is stuck (no workers here: what it would enqueue)."""

from __future__ import annotations

import pytest
from pipeline_support import make_district, new_report

from workflow.services.checks import run_checks
from workflow.services.review import decide
from workflow.services.submission import submit
from workflow.services.sweeper import sweep_stuck

pytestmark = pytest.mark.integration
STUCK = 60.0


def test_sweeper_re_enqueues_only_stuck_checks_and_publications(db, sent, clock) -> None:
    with db.sessions() as s:
        d = make_district(s, bodies=4)
        lost, checked, approved, fresh = (new_report(s, d, b, seed=i) for i, b in enumerate(d.body_ids))
        lost_v = submit(s, report_id=lost, actor_id=d.submitter_id)  # its message never arrives
        checked_v = submit(s, report_id=checked, actor_id=d.submitter_id)
        assert run_checks(s, version_id=checked_v)
        submit(s, report_id=approved, actor_id=d.submitter_id)
        approved_v = sent.sent[-1][1]["version_id"]
        assert run_checks(s, version_id=approved_v)
        for _ in range(2):
            decide(s, report_id=approved, reviewer_id=d.reviewer_id, decision="approve", expected_version=1)
        clock.advance(seconds=STUCK + 1)
        submit(s, report_id=fresh, actor_id=d.submitter_id)  # submitted just now: not stuck yet
        sent.clear()

        result = sweep_stuck(s, stuck_after_seconds=STUCK)
        s.commit()  # the outbox sends after the commit

    assert result.checks == [lost_v]
    assert result.publications == [approved]
    assert sorted(sent.sent) == sorted(
        [("check_report", {"version_id": lost_v}), ("publish_report", {"report_id": approved})]
    )


def test_nothing_is_stuck_before_its_time(db, sent, clock) -> None:
    with db.sessions() as s:
        d = make_district(s)
        submit(s, report_id=new_report(s, d, d.body_ids[0]), actor_id=d.submitter_id)
        clock.advance(seconds=STUCK - 1)
        sent.clear()
        assert sweep_stuck(s, stuck_after_seconds=STUCK).to_dict() == {"checks": [], "publications": []}
        s.commit()
    assert sent.sent == []
