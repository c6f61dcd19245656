"""The Celery dispatcher for `workflow.services.outbox`: the outbox calls `send()` after the commit.

The Celery app (workers.celery_app) is handed in by whoever installs the dispatcher: the worker pool
processes, the web server processes (workflow.cli.serve) and the commands that commit transitions.
The tasks layer sits below the Celery app, which includes the task modules; it never imports it.

A send that fails (Redis down or restarting) is logged and dropped on purpose: the state change is
already committed, and the sweeper finds the report in its state and re-enqueues the work.  Failing
the user's request because the queue hiccupped would be worse than a check that starts a minute late.
"""

from __future__ import annotations

import logging
from typing import Any

from workflow.services import outbox

logger = logging.getLogger("workflow.tasks.dispatch")

# Publishing to a Redis that is down: try briefly, then leave it to the sweeper.
RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5}


class CeleryDispatcher:
    def __init__(self, app: Any) -> None:
        self.app = app  # a celery.Celery

    def send(self, task_name: str, kwargs: dict[str, Any]) -> None:
        try:
            # ignore_result: nobody waits on a result (the database holds outcomes), and without it
            # send_task subscribes to the result backend and may block reconnecting to a Redis that is down.
            self.app.send_task(
                task_name, kwargs=kwargs, ignore_result=True, retry=True, retry_policy=RETRY_POLICY
            )
        except Exception:  # any broker failure: the sweeper re-enqueues from the database
            logger.warning(
                "could not enqueue %s %s; the sweeper will retry", task_name, kwargs, exc_info=True
            )


def install(app: Any) -> CeleryDispatcher:
    """Make the outbox send through the Celery `app` (web, CLI, workers: every process that commits
    transitions)."""
    dispatcher = CeleryDispatcher(app)
    outbox.set_dispatcher(dispatcher)
    return dispatcher
