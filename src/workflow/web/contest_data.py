"""The contests of a report as the pages show them (the clerk's form, the status and review pages)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import FindingContest

STATUS_LABELS = {"open": "待审核人决定", "accepted": "审核人已接受", "rejected": "审核人已驳回"}


@dataclass(frozen=True, slots=True)
class ContestView:
    key: str
    rule: str
    message: str
    reason: str
    status: str
    status_label: str
    comment: str
    at: datetime
    decided_at: datetime | None


def contest_views(db: Session, report_id: int) -> dict[str, ContestView]:
    """Every contest of the report by finding key, oldest first (a small indexed read)."""
    rows = db.scalars(
        select(FindingContest).where(FindingContest.report_id == report_id).order_by(FindingContest.id)
    )
    return {
        row.finding_key: ContestView(
            key=row.finding_key,
            rule=row.rule_id,
            message=str(row.finding.get("message", "")),
            reason=row.reason,
            status=row.status,
            status_label=STATUS_LABELS.get(row.status, row.status),
            comment=row.decision_comment,
            at=row.at,
            decided_at=row.decided_at,
        )
        for row in rows
    }
