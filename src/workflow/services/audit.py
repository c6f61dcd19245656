"""Audit events: one per state change or other act worth answering for later."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import AuditEvent


def record(
    session: Session,
    action: str,
    *,
    actor_id: int | None,
    report_id: int | None = None,
    body_id: int | None = None,
    **details: Any,
) -> AuditEvent:
    ev = AuditEvent(
        at=now(), actor_id=actor_id, action=action, report_id=report_id, body_id=body_id, details=details
    )
    session.add(ev)
    return ev
