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

# Publishing to a Redis that is down: one retry (a pooled connection that a restarted Redis closed
# fails once, the retry reconnects), then leave it to the sweeper.  With the broker's socket timeouts
# (workers.celery_app) a refused connection costs about 0.2 s, a host that is off about 2 s, a server
# that accepts but never answers 4 to 6 s: a request is never held for long.
RETRY_POLICY = {"max_retries": 1, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5}


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


def broker_uptime(app: Any) -> float | None:
    """Seconds since the Redis broker of `app` (re)started; None when it cannot be told.

    The sweeper uses it to re-enqueue at once what a Redis restart lost (an embedded Redis keeps
    nothing) or what could not be sent while Redis was down, instead of waiting for the work to look
    stuck."""
    try:
        with app.connection_for_write() as conn:
            info = conn.default_channel.client.info("server")
        return float(info["uptime_in_seconds"])
    except Exception:  # no broker, or not Redis: the sweeper falls back to the age of the work
        logger.warning("could not read the broker's uptime", exc_info=True)
        return None


def install(app: Any) -> CeleryDispatcher:
    """Make the outbox send through the Celery `app` (web, CLI, workers: every process that commits
    transitions)."""
    dispatcher = CeleryDispatcher(app)
    outbox.set_dispatcher(dispatcher)
    return dispatcher
