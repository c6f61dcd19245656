"""The beat schedule, in one place: every periodic task of the engine is listed here.

Periods come from settings so that tests and demos can run the sweeper every second.
"""

from __future__ import annotations

from typing import Any

from workflow.settings import Settings

REMINDER_SCAN_SECONDS = 300.0  # reminders: scan every 5 minutes (retries with backoff are in minutes)


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    period = settings.sweeper_period_seconds
    return {
        # Re-enqueue work left stuck by a crash or a lost message (see workflow.services.sweeper).
        "sweep-stuck": {
            "task": "sweep_stuck",
            "schedule": period,
            # A sweep that waited longer than one period is superseded by the next one.
            "options": {"queue": "checks", "expires": max(period, 1.0)},
        },
        # --- reminders (added by the reminders engineer; workers: please keep/adjust) ---
        # The periodic scan that enqueues due reminders once (send-once rows) and delivers queued ones.
        # Needs "workflow.tasks.reminders" in the Celery include list.  Expiring after one period: a late
        # scan is superseded by the next, and two at once are safe.
        "notify-reminders": {
            "task": "notify_reminders",
            "schedule": REMINDER_SCAN_SECONDS,
            "options": {"queue": "notify", "expires": REMINDER_SCAN_SECONDS},
        },
    }
