"""Which contested errors no longer block (shared by the checks, submission and the contests service)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import FindingContest

OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"
# Contested errors that do not block: the reviewer has not decided yet, or agreed with the submitter.
NOT_BLOCKING = (OPEN, ACCEPTED)


def not_blocking_keys(session: Session, report_id: int) -> set[str]:
    """The keys of the report's errors that are contested and not (yet) rejected."""
    return set(
        session.scalars(
            select(FindingContest.finding_key).where(
                FindingContest.report_id == report_id, FindingContest.status.in_(NOT_BLOCKING)
            )
        )
    )


def blocking(errors: Iterable[Any], allowed: set[str]) -> list[Any]:
    """The errors (Finding objects or their dicts) that still block, given the not-blocking keys."""
    return [e for e in errors if (e["key"] if isinstance(e, dict) else e.key) not in allowed]
