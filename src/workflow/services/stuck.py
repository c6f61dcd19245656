"""Work the district office sees stuck, and its "重试" button: the sweeper's rules, for one report.

A report is stuck *checking* when it has sat in submitted / checking longer than the threshold without a
finished check of its latest version, and stuck *rendering* when it was approved that long ago and its
latest version is still not published — exactly what `services.sweeper` looks for.  Retrying sends the
same task the sweeper sends (`check_report` / `publish_report`, through the outbox after the commit);
both tasks are idempotent, so a retry of work that was only slow costs a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import now as clock_now
from workflow.db.models import ReportVersion
from workflow.services import audit, sweeper
from workflow.services.lifecycle import get_report, transactional
from workflow.services.outbox import enqueue_after_commit

CHECKING, RENDERING = "checking", "rendering"
LABELS = {CHECKING: "检查未完成", RENDERING: "公开文件未生成"}


def stuck_reports(session: Session, cutoff: datetime) -> dict[int, str]:
    """Report id → CHECKING or RENDERING, for everything stuck since before `cutoff`."""
    out: dict[int, str] = {}
    versions = sweeper.stuck_checks(session, cutoff)
    if versions:
        q = select(ReportVersion.report_id).where(ReportVersion.id.in_(versions))
        out.update(dict.fromkeys(session.scalars(q), CHECKING))
    out.update(dict.fromkeys(sweeper.stuck_publications(session, cutoff), RENDERING))
    return out


@dataclass(frozen=True)
class Retried:
    kind: str | None  # CHECKING, RENDERING, or None when the report was not stuck (any more)
    message: str


@transactional
def retry(session: Session, *, report_id: int, stuck_after: timedelta, actor_id: int | None) -> Retried:
    """Re-enqueue one stuck report's work (sent after the commit); says what it did."""
    report = get_report(session, report_id)
    kind = stuck_reports(session, clock_now() - stuck_after).get(report_id)
    name = report.body.name
    if kind is None:
        return Retried(None, f"{name}的报告现在没有卡住（可能刚刚已完成），无需重试。")
    if kind == CHECKING:
        version_id = session.scalar(
            select(ReportVersion.id).where(
                ReportVersion.report_id == report_id, ReportVersion.number == report.latest_version
            )
        )
        enqueue_after_commit(session, "check_report", version_id=version_id)
        message = f"已重新安排检查{name}的报告（第 {report.latest_version} 版），完成后状态会自动更新。"
    else:
        enqueue_after_commit(session, "publish_report", report_id=report_id)
        message = f"已重新安排生成并公开{name}的报告，完成后状态会自动更新。"
    audit.record(
        session,
        "admin.retry_stuck",
        actor_id=actor_id,
        report_id=report_id,
        body_id=report.body_id,
        kind=kind,
    )
    return Retried(kind, message)
