"""The district office's overview: every body's status for a season, counts, a chart, an .xlsx.

Each body has one *state* (未开始 … 已公开: the counts per state add up to the number of bodies) and,
separately, whether it is late: 逾期未公开 (past its due date and not published yet) or 逾期公开
(published after its due date — still 已公开).  Due dates come from the domain calendar
(`web.deadlines.DueDates`), the one the reminders use.  Work stuck in checking or rendering longer than
`Settings.dashboard_stuck_after_minutes` is flagged by the sweeper's own rules (`services.stuck`).
"""

from __future__ import annotations

import io
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import Session

from workflow.clock import SHANGHAI
from workflow.clock import now as clock_now
from workflow.db.models import (
    Body,
    ReminderSent,
    ReportRow,
    ReportVersion,
    ReviewDecision,
    Season,
    ValidationRun,
)
from workflow.domain import reminder_names
from workflow.domain.bodies import BODY_TYPE_LABELS
from workflow.domain.model import Report
from workflow.exporters.safe import append
from workflow.services import stuck as stuck_svc
from workflow.web.deadlines import DueDates

STATUSES = ("not_started", "draft", "submitted", "returned", "approved", "published")
STATUS_LABELS = {
    "not_started": "未开始",
    "draft": "草稿",
    "submitted": "审核中",
    "returned": "已退回",
    "approved": "已审定",
    "published": "已公开",
}
# Flags beside the state (a row may have one lateness flag and be stuck too).
FLAGS = ("late", "published_late", "stuck")
FLAG_LABELS = {"late": "逾期未公开", "published_late": "逾期公开", "stuck": "卡住"}
FILTER_LABELS = STATUS_LABELS | FLAG_LABELS
STATUS_COLORS = {
    "not_started": "#757575",
    "draft": "#1e88e5",
    "submitted": "#1565c0",
    "returned": "#e65100",
    "approved": "#2e7d32",
    "published": "#1b5e20",
}
_STATE_TO_STATUS = {
    "draft": "draft",
    "needs_fixes": "draft",
    "submitted": "submitted",
    "checking": "submitted",
    "in_review": "submitted",
    "returned": "returned",
    "approved": "approved",
    "published": "published",
}


# Tuples, not dataclasses: thousands are made per overview (a frozen dataclass costs several times
# more to build), and they are as immutable (views are shared between requests).
class BodyRef(NamedTuple):
    """The few columns of a body the overview needs (no ORM objects for thousands of rows)."""

    id: int
    code: str
    name: str
    body_type: str
    locality: str | None


class BodyStatus(NamedTuple):
    body: BodyRef
    status: str  # one of STATUSES
    state: str | None
    due: date
    report_id: int | None
    overdue: str = ""  # "" | "late" (not published, past due) | "published_late"
    published_on: date | None = None
    stuck: str = ""  # "" | services.stuck.CHECKING | RENDERING
    since: datetime | None = None  # when the report entered its state
    reminder: str = ""  # the last reminder, in words


def status_of(state: str | None) -> str:
    return _STATE_TO_STATUS.get(state or "", "not_started")


def overdue_of(state: str | None, due: date, today: date, published_on: date | None) -> str:
    """ "published_late" for a report published after `due`; "late" for one past `due` and not
    published yet (a correction under way keeps the date of its first publication)."""
    if published_on is not None:
        return "published_late" if published_on > due else ""
    return "late" if today > due else ""


def local_day(at: datetime | None) -> date | None:
    if at is None:
        return None
    return (at.astimezone(SHANGHAI) if at.tzinfo else at).date()


_BODIES = select(Body.id, Body.code, Body.name, Body.body_type, Body.locality).order_by(Body.code)
_REPORTS = select(
    ReportRow.body_id, ReportRow.id, ReportRow.state, ReportRow.first_published_at, ReportRow.state_changed_at
).where(ReportRow.season_id == bindparam("season_id"))


def _last_reminders(db: Session, season_id: int) -> dict[int, str]:
    """Body id → its latest reminder of the season, in words."""
    latest = (
        select(func.max(ReminderSent.id))
        .where(ReminderSent.season_id == season_id)
        .group_by(ReminderSent.body_id)
        .scalar_subquery()
    )
    q = select(
        ReminderSent.body_id,
        ReminderSent.reminder,
        ReminderSent.step,
        ReminderSent.status,
        ReminderSent.channel,
        ReminderSent.sent_at,
    ).where(ReminderSent.id.in_(latest))
    out = {}
    for body_id, key, step, status, channel, sent_at in db.execute(q):
        at = sent_at.astimezone(SHANGHAI) if sent_at is not None and sent_at.tzinfo else sent_at
        out[body_id] = reminder_names.describe(key, step, status, channel, at if status == "sent" else None)
    return out


def season_status(
    db: Session,
    season: Season,
    today: date,
    jurisdiction_id: int | None = None,
    *,
    stuck_after: timedelta | None = None,
) -> list[BodyStatus]:
    """Every body's row; `stuck_after` also flags stuck work (the page does, the API does not)."""
    # Core rows on the session's connection: no ORM row machinery for thousands of plain tuples.
    conn = db.connection()
    bodies_q = _BODIES if jurisdiction_id is None else _BODIES.where(Body.jurisdiction_id == jurisdiction_id)
    reports = {r[0]: r for r in conn.execute(_REPORTS, {"season_id": season.id}).all()}  # all(): one fetch
    due_for = DueDates(db).resolver(season)
    stuck = stuck_svc.stuck_reports(db, clock_now() - stuck_after) if stuck_after is not None else {}
    reminders = _last_reminders(db, season.id)
    out = []
    for row in conn.execute(bodies_q).all():
        b = BodyRef._make(row)
        due = due_for(b.id, b.body_type, b.locality)
        r = reports.get(b.id)
        said = reminders.get(b.id, "")
        if r is None:
            late = overdue_of(None, due, today, None)
            out.append(BodyStatus(b, "not_started", None, due, None, late, reminder=said))
            continue
        _, report_id, state, published_at, since = r
        published_on = local_day(published_at)
        out.append(
            BodyStatus(
                b,
                status_of(state),
                state,
                due,
                report_id,
                overdue_of(state, due, today, published_on),
                published_on,
                stuck.get(report_id, ""),
                since,
                said,
            )
        )
    return out


# The office's overview may be a few seconds old: thousands of bodies are recomputed at most every
# CACHE_SECONDS per process, however many people keep the page open.
CACHE_SECONDS = 5.0


class StatusView:
    """One computation of a season's overview: rows, counts, the chart, and table pages as HTML.

    The status table is the bulk of the page (200 rows): its HTML is built in Python once per
    view, filter and page, instead of by a thousand small template calls on every request.
    """

    def __init__(self, rows: list[BodyStatus]) -> None:
        self.made = time.monotonic()
        self.rows = rows
        self.counts = count(rows)
        self.chart = svg_bars({k: self.counts[k] for k in STATUSES})
        self.stuck = [r for r in rows if r.stuck]
        self._pages: dict[tuple[str, int, int], tuple[list[BodyStatus], Markup]] = {}

    def page(self, status: str, page: int, size: int) -> tuple[list[BodyStatus], Markup]:
        """The rows of one page (for `status` or a flag, or all when it is neither) and their <tr>s."""
        key = (status, page, size)
        hit = self._pages.get(key)
        if hit is None:
            chosen = self.chosen(status)
            rows = chosen[(page - 1) * size : page * size]
            hit = self._pages[key] = (rows, Markup("".join(map(_row_html, rows))))
        return hit

    def chosen(self, status: str) -> list[BodyStatus]:
        if status in STATUSES:
            return [r for r in self.rows if r.status == status]
        if status == "stuck":
            return self.stuck
        if status in FLAGS:
            return [r for r in self.rows if r.overdue == status]
        return self.rows


_BODY_TYPES = {k.value: v for k, v in BODY_TYPE_LABELS.items()}


def body_type_label(value: str) -> str:
    return _BODY_TYPES.get(value, "其他")


_NO_REMINDER = '<span class="muted">未发送过</span>'


def _row_html(r: BodyStatus) -> str:
    name = escape(r.body.name)
    link = f'<a href="/review/{r.report_id}">{name}</a>' if r.report_id else name
    btype = escape(body_type_label(r.body.body_type))
    flags = ""
    if r.overdue:
        flags += f' <span class="state state-{r.overdue}">{FLAG_LABELS[r.overdue]}</span>'
    if r.stuck:
        flags += f' <a class="state state-stuck" href="#stuck">{stuck_svc.LABELS[r.stuck]}</a>'
    published = f'<br><span class="muted">公开于 {r.published_on:%Y-%m-%d}</span>' if r.published_on else ""
    return (
        f'<tr data-body="{escape(r.body.code)}"><td>{escape(r.body.code)}</td><td>{link}</td>\n<td>{btype}</td>'
        f'<td class="status"><span class="state state-{r.status}">{STATUS_LABELS[r.status]}</span>{flags}</td>'
        f"<td>{r.due:%Y-%m-%d}{published}</td>"
        f'<td class="reminder">{escape(r.reminder) or _NO_REMINDER}</td></tr>\n'
    )


class StatusCache:
    """Views per (season, day, jurisdiction), recomputed at most every CACHE_SECONDS.

    Lives on the app (one per process and app, so tests never see another app's data).  One
    request recomputes an expired view while the others are served the previous one (a few seconds
    old, as the page says): recomputing thousands of bodies costs ~100 ms of CPU, and every request
    arriving meanwhile computing it too would multiply that and stall them all.
    """

    def __init__(self) -> None:
        self._views: dict[tuple[int, date, int | None], StatusView] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop every view (after an action on this page: the next view shows its effect)."""
        self._views.clear()

    def view(
        self,
        db: Session,
        season: Season,
        today: date,
        jurisdiction_id: int | None = None,
        *,
        stuck_after: timedelta | None = None,
    ) -> StatusView:
        key = (season.id, today, jurisdiction_id)
        hit = self._views.get(key)
        if hit is not None and time.monotonic() - hit.made < CACHE_SECONDS:
            return hit
        if hit is not None and not self._lock.acquire(blocking=False):
            return hit  # someone is recomputing it: the previous view will do meanwhile
        if hit is None:
            self._lock.acquire()  # nothing to show yet: wait for (or do) the first computation
            done = self._views.get(key)
            if done is not None:
                self._lock.release()
                return done
        try:
            rows = season_status(db, season, today, jurisdiction_id, stuck_after=stuck_after)
            view = self._views[key] = StatusView(rows)
        finally:
            self._lock.release()
        return view


def count(rows: list[BodyStatus]) -> dict[str, int]:
    """Bodies per state (they add up to len(rows)), then per flag."""
    out = dict.fromkeys(STATUSES + FLAGS, 0)
    for r in rows:
        out[r.status] += 1
        if r.overdue:
            out[r.overdue] += 1
        if r.stuck:
            out["stuck"] += 1
    return out


def svg_bars(counts: dict[str, int], width: int = 560, bar_h: int = 22) -> str:
    """A horizontal bar chart as inline SVG (no JavaScript library).  Labels are fixed Chinese words."""
    top = max(counts.values() or [1]) or 1
    label_w, gap = 60, 6
    height = len(counts) * (bar_h + gap) + gap
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="各状态单位数量">'
    ]
    for i, (status, n) in enumerate(counts.items()):
        y = gap + i * (bar_h + gap)
        w = int((width - label_w - 60) * n / top)
        parts.append(f'<text x="0" y="{y + bar_h - 6}">{STATUS_LABELS[status]}</text>')
        parts.append(
            f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" fill="{STATUS_COLORS[status]}">'
            f"<title>{STATUS_LABELS[status]}：{n}</title></rect>"
        )
        parts.append(f'<text x="{label_w + w + 6}" y="{y + bar_h - 6}" data-status="{status}">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --------------------------------------------------------------------------------------- the .xlsx
# The main tables' figures in the export: (column title, table, [(row, column), …] summed).
FIGURES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("表二 规章和规范性文件本年制发", "t2", (("regulations", "issued"), ("normative", "issued"))),
    ("表二 规章和规范性文件现行有效", "t2", (("regulations", "in_force"), ("normative", "in_force"))),
    ("表二 行政许可决定", "t2", (("licensing", "decisions"),)),
    ("表二 行政处罚决定", "t2", (("penalty", "decisions"),)),
    ("表二 行政强制决定", "t2", (("enforcement", "decisions"),)),
    ("表二 行政事业性收费（万元）", "t2", (("fees", "amount"),)),
    ("表三 本年新收申请", "t3", (("new", "total"),)),
    ("表三 上年结转申请", "t3", (("carried", "total"),)),
    ("表三 予以公开", "t3", (("granted", "total"),)),
    ("表三 部分公开", "t3", (("partial", "total"),)),
    ("表三 不予公开", "t3", tuple((f"d{i}", "total") for i in range(1, 9))),
    ("表三 无法提供", "t3", tuple((f"u{i}", "total") for i in range(1, 4))),
    ("表三 不予处理", "t3", tuple((f"n{i}", "total") for i in range(1, 6))),
    ("表三 其他处理", "t3", (("o1", "total"), ("o2", "total"), ("o3", "total"), ("o", "total"))),
    ("表三 办理结果总计", "t3", (("total", "total"),)),
    ("表三 结转下年度继续办理", "t3", (("forward", "total"),)),
    ("表四 行政复议总计", "t4", (("review", "total"),)),
    ("表四 行政诉讼总计", "t4", (("direct", "total"), ("after_review", "total"))),
)
COLUMNS = (
    "单位编码",
    "单位名称",
    "单位类型",
    "状态",
    "截止日期",
    "是否逾期",
    "提交日期",
    "审定日期",
    "公开日期",
    "逾期天数",
    "错误",
    "警告",
    "最近一次提醒",
) + tuple(title for title, _, _ in FIGURES)


def figures_of(content: dict[str, Any]) -> list[int | Decimal | None]:
    """The FIGURES of one submitted report (None where the report has none of the cells)."""
    report = Report.from_dict(content)
    out: list[int | Decimal | None] = []
    for _, table_id, cells in FIGURES:
        table = report.table(table_id)
        values = [table.value(row, col) for row, col in cells]
        present = [v for v in values if v is not None]
        out.append(sum(present, start=0) if present else None)
    return out


class Details(NamedTuple):
    submitted_on: date | None
    approved_on: date | None
    errors: int | None
    warnings: int | None
    figures: list[int | Decimal | None]


def season_details(db: Session, season: Season) -> dict[int, Details]:
    """Report id → the export's dates, check counts and figures (the latest submitted version)."""
    latest = and_(ReportVersion.report_id == ReportRow.id, ReportVersion.number == ReportRow.latest_version)
    in_season = ReportRow.season_id == season.id
    versions = {
        rid: (vid, content)
        for rid, vid, content in db.execute(
            select(ReportRow.id, ReportVersion.id, ReportVersion.content)
            .join(ReportVersion, latest)
            .where(in_season)
        )
    }
    first_submitted = dict(
        db.execute(
            select(ReportVersion.report_id, func.min(ReportVersion.submitted_at))
            .join(ReportRow, ReportRow.id == ReportVersion.report_id)
            .where(in_season)
            .group_by(ReportVersion.report_id)
        ).all()
    )
    approved = dict(
        db.execute(
            select(ReviewDecision.report_id, func.max(ReviewDecision.at))
            .join(ReportRow, ReportRow.id == ReviewDecision.report_id)
            .where(
                in_season,
                ReviewDecision.decision == "approve",
                ReportRow.state.in_(("approved", "published")),
            )
            .group_by(ReviewDecision.report_id)
        ).all()
    )
    runs: dict[int, tuple[int, int]] = {}
    version_ids = [vid for vid, _ in versions.values()]
    for i in range(0, len(version_ids), 500):
        q = (
            select(ValidationRun.version_id, ValidationRun.error_count, ValidationRun.warning_count)
            .where(ValidationRun.version_id.in_(version_ids[i : i + 500]), ValidationRun.status == "done")
            .order_by(ValidationRun.id)
        )
        for vid, errors, warnings in db.execute(q):
            runs[vid] = (errors, warnings)  # the last finished run wins
    out = {}
    for rid, (vid, content) in versions.items():
        errors, warnings = runs.get(vid, (None, None))
        out[rid] = Details(
            local_day(first_submitted.get(rid)),
            local_day(approved.get(rid)),
            errors,
            warnings,
            figures_of(content),
        )
    return out


def days_late(r: BodyStatus, today: date) -> int:
    """Days past the due date: to the publication, or to today while not published."""
    end = r.published_on or today
    return max(0, (end - r.due).days)


def _header(ws: Worksheet, values: Iterable[str]) -> None:
    append(ws, list(values))
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)


def xlsx(rows: list[BodyStatus], season: Season, details: dict[int, Details], today: date) -> bytes:
    """One row per body (state, dates, days late, check counts, the main tables' figures) and a
    汇总 sheet (bodies per state, per body type and state, the figures' totals)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{season.report_year}年度报送情况"
    _header(ws, COLUMNS)
    totals: list[int | Decimal] = [0] * len(FIGURES)
    with_figures = 0
    for r in rows:
        d = details.get(r.report_id) if r.report_id else None
        figures = d.figures if d else [None] * len(FIGURES)
        if d:
            with_figures += 1
            totals = [t + (f or 0) for t, f in zip(totals, figures, strict=True)]
        values: list[Any] = [
            r.body.code,
            r.body.name,
            body_type_label(r.body.body_type),
            STATUS_LABELS[r.status],
            r.due,
            FLAG_LABELS.get(r.overdue, "否"),
            d.submitted_on if d else None,
            d.approved_on if d else None,
            r.published_on,
            days_late(r, today),
            d.errors if d else None,
            d.warnings if d else None,
            r.reminder,
            *figures,
        ]
        append(ws, values)  # names stay text, whatever they start with
    for col, width in (("B", 36), ("C", 16), ("E", 12), ("F", 12), ("G", 12), ("H", 12), ("I", 12)):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=9):
        for cell in row:
            if cell.column != 6:  # 是否逾期 is text
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "C2"
    _summary(wb, rows, season, totals, with_figures)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _summary(
    wb: Workbook, rows: list[BodyStatus], season: Season, totals: list[int | Decimal], with_figures: int
) -> None:
    ws = wb.create_sheet("汇总")
    counts = count(rows)
    append(ws, [f"{season.report_year} 年度报告报送情况汇总（共 {len(rows)} 个单位）"])
    ws["A1"].font = Font(bold=True)
    append(ws, [])
    _header(ws, ["状态", "单位数"])
    for k in STATUSES:
        append(ws, [STATUS_LABELS[k], counts[k]])
    append(ws, ["合计", len(rows)])
    for k in FLAGS:
        append(ws, [f"其中：{FLAG_LABELS[k]}", counts[k]])
    append(ws, [])
    _header(
        ws, ["单位类型", *(STATUS_LABELS[k] for k in STATUSES), "合计", *(FLAG_LABELS[k] for k in FLAGS[:2])]
    )
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES + FLAGS, 0))
    for r in rows:
        c = by_type[body_type_label(r.body.body_type)]
        c[r.status] += 1
        if r.overdue:
            c[r.overdue] += 1
    for label in sorted(by_type, key=lambda t: -sum(by_type[t][k] for k in STATUSES)):
        c = by_type[label]
        append(
            ws,
            [label, *(c[k] for k in STATUSES), sum(c[k] for k in STATUSES), c["late"], c["published_late"]],
        )
    append(ws, [])
    _header(ws, [f"主要数据合计（{with_figures} 份已提交的报告，按最近提交的一版）", "合计"])
    for (title, _, _), total in zip(FIGURES, totals, strict=True):
        append(ws, [title, total])
    ws.column_dimensions["A"].width = 44
