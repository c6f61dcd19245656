"""Reminder task bodies: the periodic scan (beat) — no delayed messages, the database decides.

`notify_reminders` enqueues today's due reminders (set-based, send-once rows) and delivers the queued
ones; running it twice at once is safe (unique key + conditional claims).  The beat entry is in
workers/beat.py; the worker must import this module (celery include "workflow.tasks.reminders").
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from workflow.tasks.base import WorkflowTask


@shared_task(bind=True, base=WorkflowTask, name="notify_reminders")
def notify_reminders(self: WorkflowTask) -> dict[str, Any]:
    from workflow.db.session import session_factory
    from workflow.services.reminders import scan

    result = scan(session_factory())
    return {
        "as_of": result.as_of.isoformat(),
        "enqueued": result.enqueued,
        "sent": result.sent,
        "retried": result.retried,
        "failed": result.failed,
        "skipped": result.skipped,
        "warnings": [w.message for w in result.warnings],
    }
