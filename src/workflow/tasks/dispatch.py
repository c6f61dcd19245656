"""The Celery dispatcher for `workflow.services.outbox`: the outbox calls `send()` after the commit.

A send that fails (Redis down or restarting) is logged and dropped on purpose: the state change is
already committed, and the sweeper finds the report in its state and re-enqueues the work.  Failing
the user's request because the queue hiccupped would be worse than a check that starts a minute late.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("workflow.tasks.dispatch")

# Publishing to a Redis that is down: try briefly, then leave it to the sweeper.
RETRY_POLICY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5}


class CeleryDispatcher:
    def __init__(self, app: Any = None) -> None:
        self._app = app

    @property
    def app(self) -> Any:
        if self._app is None:
            from workers.celery_app import app

            self._app = app
        return self._app

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


def install() -> CeleryDispatcher:
    """Make the outbox send through Celery (web, CLI, workers: every process that commits transitions)."""
    from workflow.services import outbox

    dispatcher = CeleryDispatcher()
    outbox.set_dispatcher(dispatcher)
    return dispatcher
