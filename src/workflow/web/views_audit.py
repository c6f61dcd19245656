"""The audit trail for the district office's administrators: read, filter, download (issue #13).

GET /admin/audit shows the events newest first, 50 a page, filtered by body (name or code), user
(user name or display name), action and a date range (days in the site's time zone, both ends
included); GET /admin/audit.xlsx downloads every event the same filter selects (up to XLSX_MAX).
Actions are shown in plain Chinese; a key without a label is shown as it is, marked as code.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from workflow.clock import now
from workflow.db.models import AuditEvent, Body, ReportRow, Season, User
from workflow.domain.states import EVENT_LABELS
from workflow.exporters.safe import append
from workflow.web.deps import AdminUser, ReadDB
from workflow.web.views_common import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
XLSX_MAX = 100_000  # rows in one download (the filter narrows it)

ACTION_LABELS: dict[str, str] = {
    "report.create": "开始填报",
    "report.save_draft": "保存草稿",
    "report.import": "上传文件导入草稿",
    "report.explain_warning": "说明警告",
    "report.contest_error": "对错误提出异议",
    "report.withdraw_contest": "撤回异议",
    "report.accept_contest": "接受异议",
    "report.reject_contest": "驳回异议",
    "report.resolve_comment": "审核意见标为已解决",
    "report.reopen_comment": "审核意见重新打开",
    **{f"report.{event.value}": f"报告{label}" for event, label in EVENT_LABELS.items()},
    "publication.rerender": "重新生成公开文件",
    "login": "登录",
    "login_failed": "登录失败",
    "login_locked": "登录被暂时锁定",
    "logout": "退出登录",
    "password_changed": "修改密码",
    "signout_everywhere": "在所有设备上退出登录",
    "api_token_created": "创建接口令牌",
    "api_token_revoked": "吊销接口令牌",
    "api_token_used": "使用接口令牌",
    "admin.body_add": "新增单位",
    "admin.user_add": "新增用户",
    "admin.user_role": "更改用户角色",
    "admin.user_disable": "停用用户",
    "admin.user_enable": "启用用户",
    "admin.user_signout": "让用户退出所有登录",
    "admin.season_add": "新增报送年度",
    "admin.deadline_set": "设置截止日期",
    "admin.extension": "批准延期",
    "admin.holidays_save": "保存节假日表",
    "admin.retry_stuck": "重试卡住的检查或公开",
    "admin.throttle_lift": "解除登录限制",
    "seed.demo": "导入演示数据",
}
CLIENT_LABELS = {"worker": "后台任务", "cli": "命令行", "system": "系统"}


def action_label(action: str) -> str | None:
    return ACTION_LABELS.get(action)


@dataclass(frozen=True)
class AuditFilter:
    body: str = ""
    user: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None

    def query(self) -> dict[str, str]:
        """The filter as URL parameters (empty ones left out): for the pager and the download link."""
        pairs = {
            "body": self.body,
            "user": self.user,
            "action": self.action,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in pairs.items() if v}

    def apply(self, q: Select[Any], actor: Any, body: Any) -> Select[Any]:
        if self.body:
            q = q.where(or_(body.code == self.body, body.name.contains(self.body, autoescape=True)))
        if self.user:
            q = q.where(
                or_(actor.username == self.user, actor.display_name.contains(self.user, autoescape=True))
            )
        if self.action:
            q = q.where(AuditEvent.action == self.action)
        tz = now().tzinfo
        if self.since:
            q = q.where(AuditEvent.at >= datetime.combine(self.since, time(), tz))
        if self.until:
            q = q.where(AuditEvent.at < datetime.combine(self.until + timedelta(days=1), time(), tz))
        return q


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    action: str
    label: str | None
    actor: str
    body: str
    report_id: int | None
    report_year: int | None
    details: str
    address: str
    client: str


def _select(f: AuditFilter) -> tuple[Select[Any], Select[Any]]:
    actor = aliased(User)
    body = aliased(Body)
    rows = (
        select(
            AuditEvent.id,
            AuditEvent.at,
            AuditEvent.action,
            actor.username,
            actor.display_name,
            body.name,
            AuditEvent.report_id,
            Season.report_year,
            AuditEvent.details,
            AuditEvent.address,
            AuditEvent.client,
        )
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(body, body.id == AuditEvent.body_id)
        .outerjoin(ReportRow, ReportRow.id == AuditEvent.report_id)
        .outerjoin(Season, Season.id == ReportRow.season_id)
    )
    count = select(func.count(AuditEvent.id)).select_from(AuditEvent)
    if f.user:
        count = count.outerjoin(actor, actor.id == AuditEvent.actor_id)
    if f.body:
        count = count.outerjoin(body, body.id == AuditEvent.body_id)
    rows = f.apply(rows, actor, body).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return rows, f.apply(count, actor, body)


def _details(details: Any) -> str:
    if not details:
        return ""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)[:500]


def _client(client: str | None) -> str:
    return CLIENT_LABELS.get(client or "", client or "")


def _rows(db: Session, q: Select[Any]) -> list[AuditRow]:
    out = []
    for r in db.execute(q).all():
        (eid, at, action, username, display, body_name, report_id, year, details, address, client) = r
        actor = f"{display}（{username}）" if display and username else (username or "系统")
        out.append(
            AuditRow(
                eid,
                at,
                action,
                action_label(action),
                actor,
                body_name or "",
                report_id,
                year,
                _details(details),
                address or "",
                _client(client),
            )
        )
    return out


def _filter(body: str, user: str, action: str, since: date | None, until: date | None) -> AuditFilter:
    return AuditFilter(body.strip(), user.strip(), action.strip(), since, until)


Short = Annotated[str, Query(max_length=100)]
Day = Annotated[date | None, Query()]


@router.get("/admin/audit")
def audit_page(
    request: Request,
    user: AdminUser,
    db: ReadDB,
    body: Short = "",
    user_name: Annotated[str, Query(alias="user", max_length=100)] = "",
    action: Short = "",
    since: Day = None,
    until: Day = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    f = _filter(body, user_name, action, since, until)
    rows_q, count_q = _select(f)
    total = int(db.scalar(count_q) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    rows = _rows(db, rows_q.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    db.close()
    query = f.query()
    ctx = {
        "rows": rows,
        "f": f,
        "total": total,
        "page": page,
        "pages": pages,
        "actions": sorted(ACTION_LABELS.items(), key=lambda kv: kv[0]),
        "query": urlencode(query),
        "prev_url": "/admin/audit?" + urlencode(query | {"page": str(page - 1)}),
        "next_url": "/admin/audit?" + urlencode(query | {"page": str(page + 1)}),
    }
    return render(request, "admin/audit.html", ctx)


XLSX_HEADER = ("时间", "操作人", "单位", "操作", "操作代码", "报告", "详情", "地址", "客户端")


def audit_xlsx_bytes(rows: list[AuditRow]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "审计记录"
    append(ws, XLSX_HEADER)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    tz = now().tzinfo
    for r in rows:
        report = f"{r.report_year}年度报告（编号 {r.report_id}）" if r.report_id else ""
        append(
            ws,
            [
                r.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                r.actor,
                r.body,
                r.label or r.action,
                r.action,
                report,
                r.details,
                r.address,
                r.client,
            ],
        )
    for column, width in zip("ABCDEFGHI", (20, 24, 30, 20, 22, 26, 50, 18, 40), strict=True):
        ws.column_dimensions[column].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@router.get("/admin/audit.xlsx")
def audit_xlsx(
    user: AdminUser,
    db: ReadDB,
    body: Short = "",
    user_name: Annotated[str, Query(alias="user", max_length=100)] = "",
    action: Short = "",
    since: Day = None,
    until: Day = None,
) -> Response:
    f = _filter(body, user_name, action, since, until)
    rows_q, _ = _select(f)
    rows = _rows(db, rows_q.limit(XLSX_MAX))
    db.close()
    stamp = now().strftime("%Y%m%d-%H%M")
    return Response(
        audit_xlsx_bytes(rows),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.xlsx"'},
    )
