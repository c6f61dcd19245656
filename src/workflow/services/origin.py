"""Where the current act comes from: the client's address and program, for the audit trail.

A web request sets `request_origin` for its whole handling (workflow.web.origin's middleware): the
sync routes run in anyio's thread pool, which copies the context into the worker thread, so the
services see it without a parameter threaded through every call.  A Celery task runs as "worker",
the command line as "cli"; anything else (a test calling a service directly) as "system".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

CLIENT_MAX = 200  # characters of the user agent kept (the column's size)
ADDRESS_MAX = 64


@dataclass(frozen=True)
class Origin:
    address: str | None  # the client's IP address; None outside a web request
    client: str  # the user agent (truncated), or "worker" / "cli" / "system"

    @classmethod
    def of_request(cls, address: str | None, user_agent: str | None) -> Origin:
        return cls((address or None) and address[:ADDRESS_MAX], (user_agent or "")[:CLIENT_MAX])


WORKER = Origin(None, "worker")
CLI = Origin(None, "cli")
SYSTEM = Origin(None, "system")

request_origin: ContextVar[Origin | None] = ContextVar("request_origin", default=None)


def current() -> Origin:
    return request_origin.get() or SYSTEM


@contextmanager
def acting_as(origin: Origin) -> Iterator[Origin]:
    """Everything inside happens on behalf of `origin` (a task run, a CLI command)."""
    token = request_origin.set(origin)
    try:
        yield origin
    finally:
        request_origin.reset(token)
