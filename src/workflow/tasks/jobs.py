"""The tasks: ids in, one service call.  Names are the outbox's task names.

The services re-check the state themselves (a duplicate or late message is a no-op), so a task only
opens a session, calls the one service function and reports.  A ServiceError here means the work is
no longer wanted (withdrawn, superseded, already done): it is logged, not retried.

Test-only hook: WORKFLOW_TEST_CHECK_DELAY (seconds, float) makes `check_report` sleep right after
its claim has committed (report `checking`, run `running`) and before the rules run, so that a test
can SIGKILL the worker in the middle of a check.  Read from the environment on each call; never set
outside tests.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import shared_task
from sqlalchemy import event
from sqlalchemy.orm import Session

from workflow.services.errors import ServiceError
from workflow.tasks.base import WorkflowTask

TEST_CHECK_DELAY_ENV = "WORKFLOW_TEST_CHECK_DELAY"
log = logging.getLogger("workflow.tasks")


def _session() -> Session:
    from workflow.db.session import session_factory

    return session_factory()()


def _sleep_after_first_commit(session: Session) -> None:
    delay = float(os.environ.get(TEST_CHECK_DELAY_ENV) or 0)
    if delay <= 0:
        return

    def _sleep(_session: Session) -> None:
        log.warning("%s: sleeping %.1f s after the claim (test hook)", TEST_CHECK_DELAY_ENV, delay)
        time.sleep(delay)

    event.listen(session, "after_commit", _sleep, once=True)


def _skip(task: str, ids: dict[str, Any], exc: ServiceError) -> bool:
    log.info("%s %s: nothing to do (%s)", task, ids, exc.message)
    return False


@shared_task(bind=True, base=WorkflowTask, name="check_report")
def check_report(self: WorkflowTask, version_id: int) -> bool:
    from workflow.services.checks import run_checks

    with _session() as session:
        _sleep_after_first_commit(session)
        try:
            return bool(run_checks(session, version_id=version_id))
        except ServiceError as exc:
            return _skip("check_report", {"version_id": version_id}, exc)


@shared_task(bind=True, base=WorkflowTask, name="publish_report")
def publish_report(self: WorkflowTask, report_id: int) -> bool:
    with _session() as session:
        try:
            return _publish(session, report_id)
        except ServiceError as exc:
            return _skip("publish_report", {"report_id": report_id}, exc)


def _publish(session: Session, report_id: int) -> bool:
    """Publication (issue 5) when it is installed, else only the state change to published."""
    try:
        from workflow.services.publication import publish
    except ImportError:
        return _mark_published(session, report_id)
    publish(session, report_id=report_id)
    return True


def _mark_published(session: Session, report_id: int) -> bool:
    from workflow.clock import now
    from workflow.services import review
    from workflow.services.lifecycle import get_report, get_version

    report = get_report(session, report_id)
    version = get_version(session, report_id, report.latest_version)
    review.mark_published(session, report_id=report_id, version_id=version.id, published_at=now())
    return True


@shared_task(bind=True, base=WorkflowTask, name="sweep_stuck")
def sweep_stuck(self: WorkflowTask) -> dict[str, list[int]]:
    from workflow.services.sweeper import sweep_stuck as sweep
    from workflow.settings import get_settings
    from workflow.tasks.dispatch import broker_uptime

    uptime = broker_uptime(self.app)  # a Redis that just (re)started: re-enqueue what it lost at once
    with _session() as session:
        result = sweep(
            session, stuck_after_seconds=get_settings().stuck_after_seconds, broker_uptime_seconds=uptime
        )
        session.commit()  # the outbox sends the re-enqueued tasks after this commit
    return result.to_dict()
