"""Follow-up work sent only after the transaction that caused it commits.

`enqueue_after_commit(session, "check_report", version_id=7)` parks the message in `session.info`; an
`after_commit` listener hands it to the dispatcher; a rollback (or closing the session
uncommitted) discards it.  So a worker never sees an id
whose row is not committed yet, and a refused request enqueues nothing.  If sending fails (broker down)
the message is logged and dropped: the sweeper finds the work still pending and enqueues it again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)
_KEY = "workflow.outbox"


class Dispatcher(Protocol):
    def send(self, task_name: str, kwargs: dict[str, Any]) -> None: ...


class RecordingDispatcher:
    """The default: remembers what would have been sent (tests and processes without a broker)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def send(self, task_name: str, kwargs: dict[str, Any]) -> None:
        log.info("outbox: %s %s", task_name, kwargs)
        with self._lock:
            self.sent.append((task_name, dict(kwargs)))

    def clear(self) -> None:
        with self._lock:
            self.sent.clear()

    def names(self) -> list[str]:
        return [name for name, _ in self.sent]


_dispatcher: Dispatcher = RecordingDispatcher()


def set_dispatcher(dispatcher: Dispatcher) -> Dispatcher:
    """Install the dispatcher (the Celery one in workers); returns the previous one."""
    global _dispatcher
    previous, _dispatcher = _dispatcher, dispatcher
    return previous


def get_dispatcher() -> Dispatcher:
    return _dispatcher


def enqueue_after_commit(session: Session, task_name: str, **kwargs: Any) -> None:
    if not session.in_transaction():  # so that a rollback or close is seen ending it
        session.begin()
    session.info.setdefault(_KEY, []).append((task_name, kwargs))


def pending(session: Session) -> list[tuple[str, dict[str, Any]]]:
    return list(session.info.get(_KEY, []))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for task_name, kwargs in session.info.pop(_KEY, []):
        try:
            _dispatcher.send(task_name, kwargs)
        except Exception:  # the sweeper re-enqueues what is still pending
            log.exception("could not send %s %s after commit", task_name, kwargs)


@event.listens_for(Session, "after_transaction_end")
def _discard_unsent(session: Session, transaction: SessionTransaction) -> None:
    # after_commit has already taken what was committed; what is left was rolled back or closed.
    if transaction.parent is None:
        session.info.pop(_KEY, None)
