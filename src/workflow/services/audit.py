"""Audit events: one per state change or other act worth answering for later.

Every event is made here (`record` through the session, `insert` as one Core statement for the
transitions' hot path), stamped with who and when, and with the address and client of the request
that caused it (workflow.services.origin).  The trail is append-only: the ORM refuses to change or
delete an event (models._audit_is_append_only), and on PostgreSQL a trigger refuses UPDATE and DELETE.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy import insert as sql_insert
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import AuditEvent
from workflow.services import origin

AUDIT_EVENTS = cast(Table, AuditEvent.__table__)


def _columns(
    action: str, actor_id: int | None, report_id: int | None, body_id: int | None, details: dict[str, Any]
) -> dict[str, Any]:
    where = origin.current()
    return {
        "at": now(),
        "actor_id": actor_id,
        "action": action,
        "report_id": report_id,
        "body_id": body_id,
        "details": details,
        "address": where.address,
        "client": where.client,
    }


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    report_id: int | None = None,
    body_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    ev = AuditEvent(**_columns(action, actor_id, report_id, body_id, details))
    session.add(ev)
    return ev


def insert(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    report_id: int | None = None,
    body_id: int | None = None,
    details: dict[str, Any],
) -> None:
    """The same event as one Core INSERT (no unit of work): for the transitions' hot path."""
    session.execute(
        sql_insert(AUDIT_EVENTS).values(**_columns(action, actor_id, report_id, body_id, details))
    )
