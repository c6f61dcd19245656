"""What the clerk's pages show in their header: the due date with the workdays left, and the
count of unread messages (issue #15.7).

Both are computed lazily, only when a template asks (`header.unread`, `header.deadline(...)`), in a
short read-only session of their own: the pages close their session before rendering.  The unread
count is one indexed count query; the work calendar (holiday table) is loaded once per process and
kept for a few minutes, so an administrator's change to the holidays shows within that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from workflow.clock import get_clock
from workflow.db.models import Body, Notification, ReportRow, Season, User
from workflow.domain.calendar import WorkCalendar
from workflow.web.deadlines import DueDates

CALENDAR_TTL = 300.0
_calendar_lock = threading.Lock()
_calendar: tuple[float, WorkCalendar] | None = None


def work_calendar() -> WorkCalendar:
    """The holiday schedule (config/holidays.toml over the package's years), kept CALENDAR_TTL s."""
    global _calendar
    with _calendar_lock:
        hit = _calendar
        if hit is None or time.monotonic() - hit[0] > CALENDAR_TTL:
            from workflow.holidays import load_calendar

            hit = _calendar = (time.monotonic(), load_calendar())
        return hit[1]


@dataclass(frozen=True)
class DeadlineView:
    """One body's due date in one season, as a clerk reads it."""

    report_year: int
    due: date
    statutory: date
    extended: bool
    today: date
    workdays_left: int  # workdays from today (if a workday) to the due date, both counted
    days_late: int  # calendar days past the due date (0 when not late)
    done: bool  # the report is published: nothing more is due

    @property
    def text(self) -> str:
        head = f"{self.report_year}年度报告截止日期：{cn_date(self.due)}"
        if self.extended:
            head += f"（已延期，原定{cn_date(self.statutory)}）"
        if self.done:
            return head + "（已公开）"
        if self.days_late:
            return head + f"（已逾期 {self.days_late} 天）"
        if self.today == self.due:
            return head + "（今天截止）"
        return head + f"（还有 {self.workdays_left} 个工作日）"

    @property
    def urgent(self) -> bool:
        return not self.done and (self.days_late > 0 or self.workdays_left <= 5)


def cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def deadline_view(
    db: Session, body: Body, season: Season, today: date, calendar: WorkCalendar
) -> DeadlineView:
    d = DueDates(db).deadline(body, season)
    state = db.scalar(
        select(ReportRow.state).where(ReportRow.body_id == body.id, ReportRow.season_id == season.id)
    )
    left = calendar.workdays_between(today - timedelta(days=1), d.due) if today <= d.due else 0
    late = (today - d.due).days if today > d.due else 0
    return DeadlineView(
        report_year=season.report_year,
        due=d.due,
        statutory=d.statutory,
        extended=d.extended,
        today=today,
        workdays_left=max(left, 0),
        days_late=late,
        done=state == "published",
    )


class Header:
    """Lazy header facts for one request (a template global: `header`)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.user: User | None = getattr(request.state, "user", None)
        self._unread: int | None = None

    def _session(self) -> Session:
        sessions = self.request.app.state.read_sessions
        return sessions()  # type: ignore[no-any-return]

    @property
    def unread(self) -> int:
        """Unread messages for the signed-in clerk (their own and their body's)."""
        if self._unread is None:
            user = self.user
            if user is None or user.role != "submitter" or self._database_unavailable:
                self._unread = 0
            else:
                try:
                    with self._session() as db:
                        self._unread = db.scalar(unread_query(user)) or 0
                except SQLAlchemyError:  # a count in the menu never stops a page (e.g. the busy page)
                    self._unread = 0
        return self._unread

    @property
    def _database_unavailable(self) -> bool:
        """Set by the busy page: the database could not be had, so the header asks it nothing."""
        return bool(getattr(self.request.state, "database_unavailable", False))

    def deadline(self, season_id: int | None = None) -> DeadlineView | None:
        """The due date for the clerk's body in `season_id` (default: the latest season)."""
        user = self.user
        if user is None or user.body_id is None or self._database_unavailable:
            return None
        try:
            return self._deadline(user, season_id)
        except SQLAlchemyError:  # the due-date line is a help, never a reason for a page to fail
            return None

    def _deadline(self, user: User, season_id: int | None) -> DeadlineView | None:
        today = get_clock().now().date()
        with self._session() as db:
            body = db.get(Body, user.body_id)
            if season_id is None:
                season = db.scalar(select(Season).order_by(Season.report_year.desc()).limit(1))
            else:
                season = db.get(Season, season_id)
            if body is None or season is None:
                return None
            return deadline_view(db, body, season, today, work_calendar())


def for_user(user: User) -> Any:
    """Messages addressed to `user`: to them, or to everyone of their body."""
    cond = Notification.user_id == user.id
    if user.body_id is not None:
        cond = or_(cond, (Notification.body_id == user.body_id) & Notification.user_id.is_(None))
    return cond


def unread_query(user: User) -> Any:
    return select(func.count(Notification.id)).where(for_user(user), Notification.read_at.is_(None))


def context(request: Request) -> dict[str, Any]:
    return {"header": Header(request)}
