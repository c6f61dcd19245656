"""The tasks: ids in, re-check the state, one service call.  Names are the outbox's task names.

Test-only hook: WORKFLOW_TEST_CHECK_DELAY (seconds, float) makes `check_report` sleep after the
report has been marked as being checked, so that a test can SIGKILL the worker mid-check.  It is read
from the environment on each call and is never set outside tests.
"""

from __future__ import annotations

import os
import time
from typing import Any

from celery import shared_task
from sqlalchemy.orm import Session

from workflow.tasks.base import WorkflowTask

TEST_CHECK_DELAY_ENV = "WORKFLOW_TEST_CHECK_DELAY"


def _session() -> Session:
    from workflow.db.session import session_factory

    return session_factory()()


def test_check_delay() -> None:
    delay = float(os.environ.get(TEST_CHECK_DELAY_ENV) or 0)
    if delay > 0:
        time.sleep(delay)


@shared_task(bind=True, base=WorkflowTask, name="check_report")
def check_report(self: WorkflowTask, version_id: int) -> bool:
    from workflow.services.checks import run_checks

    with _session() as session:
        done = run_checks(session, version_id=version_id)
        session.commit()
    return bool(done)


@shared_task(bind=True, base=WorkflowTask, name="publish_report")
def publish_report(self: WorkflowTask, report_id: int) -> Any:
    with _session() as session:
        result = _publish(session, report_id)
        session.commit()
    return result


def _publish(session: Session, report_id: int) -> Any:
    """Publication (issue 5) when it is installed, else just the state change to published."""
    try:
        from workflow.services.publication import publish
    except ImportError:
        return _mark_published(session, report_id)
    publish(session, report_id=report_id)
    return True


def _mark_published(session: Session, report_id: int) -> bool:
    from workflow.db.models import ReportRow
    from workflow.domain.states import ReportState
    from workflow.services import review

    row = session.get(ReportRow, report_id)
    if row is None or row.state != ReportState.APPROVED.value:
        return False  # already published, or not approved (any more): nothing to do
    review.mark_published(session, report_id=report_id)
    return True


@shared_task(bind=True, base=WorkflowTask, name="sweep_stuck")
def sweep_stuck(self: WorkflowTask) -> dict[str, list[int]]:
    from workflow.services.sweeper import sweep_stuck as sweep
    from workflow.settings import get_settings

    with _session() as session:
        result = sweep(session, stuck_after_seconds=get_settings().stuck_after_seconds)
        session.commit()  # sends the re-enqueued tasks (outbox)
    return result.to_dict()
