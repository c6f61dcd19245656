"""The district office's overview: every body's status for a season, counts, a chart, an .xlsx."""

from __future__ import annotations

import io
import threading
import time
from datetime import date
from typing import NamedTuple

from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from workflow.db.models import Body, ReportRow, Season
from workflow.domain.bodies import BODY_TYPE_LABELS, BodyType
from workflow.exporters.safe import append
from workflow.web.deadlines import DueDates

STATUSES = ("not_started", "draft", "submitted", "returned", "approved", "published", "late")
STATUS_LABELS = {
    "not_started": "未开始",
    "draft": "草稿",
    "submitted": "已提交",
    "returned": "已退回",
    "approved": "已审定",
    "published": "已公开",
    "late": "逾期",
}
STATUS_COLORS = {
    "not_started": "#9e9e9e",
    "draft": "#90caf9",
    "submitted": "#42a5f5",
    "returned": "#ffa726",
    "approved": "#66bb6a",
    "published": "#2e7d32",
    "late": "#e53935",
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
    status: str
    state: str | None
    due: date
    report_id: int | None


def status_of(state: str | None, due: date, today: date, published_on: date | None) -> str:
    if state == "published" and published_on is not None and published_on > due:
        return "late"
    if state != "published" and today > due:
        return "late"
    return _STATE_TO_STATUS.get(state or "", "not_started")


_BODIES = select(Body.id, Body.code, Body.name, Body.body_type, Body.locality).order_by(Body.code)
_REPORTS = select(ReportRow.body_id, ReportRow.id, ReportRow.state, ReportRow.first_published_at).where(
    ReportRow.season_id == bindparam("season_id")
)


def season_status(
    db: Session, season: Season, today: date, jurisdiction_id: int | None = None
) -> list[BodyStatus]:
    # Core rows on the session's connection: no ORM row machinery for thousands of plain tuples.
    conn = db.connection()
    bodies_q = _BODIES if jurisdiction_id is None else _BODIES.where(Body.jurisdiction_id == jurisdiction_id)
    reports = {r[0]: r for r in conn.execute(_REPORTS, {"season_id": season.id}).all()}  # all(): one fetch
    due_for = DueDates(db).resolver(season)
    out = []
    for row in conn.execute(bodies_q).all():
        b = BodyRef._make(row)
        due = due_for(b.id, b.body_type, b.locality)
        r = reports.get(b.id)
        if r is None:
            out.append(BodyStatus(b, status_of(None, due, today, None), None, due, None))
            continue
        _, report_id, state, published_at = r
        published_on = published_at.date() if published_at else None
        out.append(BodyStatus(b, status_of(state, due, today, published_on), state, due, report_id))
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
        self.chart = svg_bars(self.counts)
        self._pages: dict[tuple[str, int, int], tuple[list[BodyStatus], Markup]] = {}

    def page(self, status: str, page: int, size: int) -> tuple[list[BodyStatus], Markup]:
        """The rows of one page (for `status`, or all when it is not a status) and their <tr>s."""
        key = (status, page, size)
        hit = self._pages.get(key)
        if hit is None:
            chosen = self.chosen(status)
            rows = chosen[(page - 1) * size : page * size]
            hit = self._pages[key] = (rows, Markup("".join(map(_row_html, rows))))
        return hit

    def chosen(self, status: str) -> list[BodyStatus]:
        return [r for r in self.rows if r.status == status] if status in STATUSES else self.rows


_BODY_TYPES = {k.value: v for k, v in BODY_TYPE_LABELS.items()}


def _row_html(r: BodyStatus) -> str:
    name = escape(r.body.name)
    link = f'<a href="/review/{r.report_id}">{name}</a>' if r.report_id else name
    btype = escape(_BODY_TYPES.get(r.body.body_type, r.body.body_type))
    return (
        f"<tr><td>{escape(r.body.code)}</td><td>{link}</td>\n<td>{btype}</td>"
        f'<td><span class="state state-{r.status}">{STATUS_LABELS[r.status]}</span></td>'
        f"<td>{r.due:%Y-%m-%d}</td></tr>\n"
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

    def view(
        self, db: Session, season: Season, today: date, jurisdiction_id: int | None = None
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
            view = self._views[key] = StatusView(season_status(db, season, today, jurisdiction_id))
        finally:
            self._lock.release()
        return view


def count(rows: list[BodyStatus]) -> dict[str, int]:
    out = dict.fromkeys(STATUSES, 0)
    for r in rows:
        out[r.status] += 1
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


def xlsx(rows: list[BodyStatus], season: Season) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{season.report_year}年度报送情况"
    append(ws, ["单位编码", "单位名称", "单位类型", "状态", "截止日期"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        btype = (
            BODY_TYPE_LABELS.get(BodyType(r.body.body_type), r.body.body_type)
            if r.body.body_type in BodyType._value2member_map_
            else r.body.body_type
        )
        append(ws, [r.body.code, r.body.name, btype, STATUS_LABELS[r.status], r.due])  # names stay text
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["E"].width = 14
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
