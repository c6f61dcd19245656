"""Crashes: a worker SIGKILLed in the middle of a check, and Redis restarted under 100 submissions.

The sweeper (beat, every SWEEP_PERIOD s, for work older than STUCK_AFTER s) re-enqueues from the
database what the crash lost; idempotent checks make the re-run safe.
"""

from __future__ import annotations

import time

import pytest
from pipeline_support import (
    STUCK_AFTER,
    SWEEP_PERIOD,
    make_district,
    new_report,
    read,
    runs_of,
    state_of,
    wait_for,
)
from sqlalchemy import func, select

from workflow.db.models import AuditEvent, ReportRow, ValidationRun
from workflow.services.submission import submit
from workflow.tasks.jobs import TEST_CHECK_DELAY_ENV

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_worker_killed_mid_check_the_report_ends_checked_exactly_once(db, broker, make_pipeline) -> None:
    pipeline = make_pipeline(broker)
    # A check that takes a minute: the worker claims the report, then sleeps before the rules run.
    pipeline.start_worker("slow", **{TEST_CHECK_DELAY_ENV: "60"})
    with db.sessions() as s:
        d = make_district(s)
        report_id = new_report(s, d, d.body_ids[0])
        version_id = submit(s, report_id=report_id, actor_id=d.submitter_id)

        def claimed() -> bool:
            return state_of(s, report_id) == "checking" and [r.status for r in runs_of(s, version_id)] == [
                "running"
            ]

        wait_for(claimed, 30, "the slow worker to claim the check", pipeline)
        pipeline.kill("slow")
        assert state_of(s, report_id) == "checking"  # stuck: the message died with the worker

        pipeline.start_worker("fresh")
        pipeline.start_beat()
        # Stuck after STUCK_AFTER s; the sweeper looks every SWEEP_PERIOD s; beat needs a moment to start.
        took = wait_for(lambda: state_of(s, report_id) == "in_review", 30, "the re-check", pipeline)
        assert took <= STUCK_AFTER + SWEEP_PERIOD + 6

        [run] = runs_of(s, version_id)  # one validation run, not two
        assert run.status == "done" and run.attempts == 2  # claimed by the dead worker, then by the fresh one
        keys = [f["key"] for f in run.findings]
        assert len(keys) == len(set(keys))  # no duplicate findings
        passed = read(
            s,
            lambda: s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.report_id == report_id, AuditEvent.action == "report.checks_passed")
            ),
        )
        assert passed == 1  # the check's outcome was recorded once

        time.sleep(STUCK_AFTER + 2 * SWEEP_PERIOD)  # later sweeps leave the checked report alone
        assert state_of(s, report_id) == "in_review" and len(runs_of(s, version_id)) == 1


def test_redis_restarted_during_100_submissions_none_is_lost(db, own_redis, make_pipeline, caplog) -> None:
    pipeline = make_pipeline(own_redis)  # our own redis-server: never restart the machine's
    pipeline.start_worker("w1", concurrency=2)
    pipeline.start_beat()
    with db.sessions() as s:
        d = make_district(s, bodies=100)
        report_ids = [new_report(s, d, body_id, seed=i) for i, body_id in enumerate(d.body_ids)]

        server = own_redis.server
        assert server is not None
        for i, report_id in enumerate(report_ids):
            if i == 40:
                server.stop()  # every queued message is dropped; the next 10 submissions cannot enqueue
            if i == 50:
                server.start()  # same port: workers, beat and the dispatcher reconnect
            submit(s, report_id=report_id, actor_id=d.submitter_id)
        dropped = [r for r in caplog.records if r.getMessage().startswith("could not enqueue check_report")]
        assert len(dropped) >= 10  # these, and whatever was queued at the stop, only the sweeper can save

        def states() -> dict[str, int]:
            q = select(ReportRow.state, func.count()).group_by(ReportRow.state)
            return dict(read(s, lambda: s.execute(q).all()))

        wait_for(lambda: states() == {"in_review": 100}, 90, f"all 100 checked (now {states()})", pipeline)
        runs = read(
            s,
            lambda: s.execute(
                select(ValidationRun.status, func.count()).group_by(ValidationRun.status)
            ).all(),
        )
        assert dict(runs) == {"done": 100}  # one run per submission, every one finished
