"""The base class of every task: ids bound into the log lines, retries for transient errors only.

Transient means the database or Redis was briefly unreachable (a restart, a failover, SQLite busy):
the task is retried with exponential backoff.  Any other exception is a bug or bad data; retrying
would not help, so it is logged and the sweeper / an operator takes it from there.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions
import sqlalchemy.exc
from celery import Task

from workflow.services import origin

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # connection pool exhausted
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

logger = logging.getLogger("workflow.tasks")


def format_ids(kwargs: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(kwargs.items()) if k.endswith("id") or k.endswith("ids"))


class WorkflowTask(Task):  # type: ignore[misc]
    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 1  # 1 s, 2 s, 4 s … with jitter
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 10

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        ids = format_ids(kwargs)
        self.log = logging.LoggerAdapter(logger, {"ids": ids})
        logger.info("%s[%s] start %s", self.name, self.request.id, ids)
        with origin.acting_as(origin.WORKER):  # the audit trail's client: "worker"
            result = super().__call__(*args, **kwargs)
        logger.info("%s[%s] done %s -> %r", self.name, self.request.id, ids, result)
        return result
