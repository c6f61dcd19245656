"""The district office's reminder preview, failed deliveries and the editable holiday table (issue 6)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from workflow import holidays
from workflow.db.models import Body
from workflow.db.session import begin_write
from workflow.domain.calendar import HolidayYear, describe_day
from workflow.domain.reminders import AUDIENCE_LABELS, CHANNEL_LABELS
from workflow.services import audit
from workflow.services import reminders as svc
from workflow.settings import get_settings
from workflow.web.deps import DB, AdminUser
from workflow.web.views_common import flash, redirect, render

router = APIRouter(include_in_schema=False)
Lines = Annotated[str, Form(max_length=20_000)]


@router.get("/admin/reminders")
def reminders_page(
    request: Request,
    user: AdminUser,
    db: DB,
    as_of: Annotated[date | None, Query()] = None,
) -> Response:
    day = as_of or svc.today()
    cal = svc.default_calendar()  # read once: the plan and the warnings see the same table
    planned = svc.plan(db, as_of=day, calendar=cal, office_email=get_settings().office_email)
    failed = svc.failed_reminders(db)
    ids = {p.body_id for p in planned} | {r.body_id for r in failed}
    names = dict(db.execute(select(Body.id, Body.name).where(Body.id.in_(ids))).tuples().all())
    ctx = {
        "as_of": day,
        "as_of_text": describe_day(day),
        "planned": sorted(planned, key=lambda p: (p.body_name, p.due.reminder, p.channel.value)),
        "warnings": svc.calendar_warnings(db, as_of=day, calendar=cal),
        "failed": failed,
        "body_names": names,
        "audience_labels": AUDIENCE_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "describe_day": describe_day,
    }
    return render(request, "admin/reminders.html", ctx)


@router.get("/admin/holidays")
def holidays_page(
    request: Request,
    user: AdminUser,
    db: DB,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    table = holidays.read_table()
    chosen = table.get(year) if year else None
    ctx = {
        "years": [table[y] for y in sorted(table, reverse=True)],
        "warnings": svc.calendar_warnings(db, as_of=svc.today()),
        "year": year or "",
        "holidays_text": _lines(chosen.holidays, chosen) if chosen else "",
        "workdays_text": _lines(chosen.workdays, chosen) if chosen else "",
        "confirmed": chosen.confirmed if chosen else True,
    }
    return render(request, "admin/holidays.html", ctx)


@router.post("/admin/holidays")
def save_holidays(
    request: Request,
    user: AdminUser,
    db: DB,
    year: Annotated[int, Form(ge=2000, le=2100)],
    holiday_dates: Lines = "",
    workday_dates: Lines = "",
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        off, off_names = parse_dates(holiday_dates, "节假日")
        on, on_names = parse_dates(workday_dates, "调休上班日")
        entry = HolidayYear(
            year, frozenset(off), frozenset(on), {**off_names, **on_names}, confirmed=bool(confirmed)
        )
    except ValueError as exc:  # nothing is written: the form comes back with the reason
        flash(request, f"未保存：{exc}", "error")
        return redirect(f"/admin/holidays?year={year}")
    holidays.save_year(entry)
    begin_write(db)
    audit.record(
        db,
        "admin.holidays_save",
        actor_id=user.id,
        year=year,
        holidays=len(entry.holidays),
        workdays=len(entry.workdays),
        confirmed=entry.confirmed,
    )
    db.commit()
    flash(request, f"已保存 {year} 年节假日表：节假日 {len(off)} 天，调休上班日 {len(on)} 天。")
    return redirect(f"/admin/holidays?year={year}")


def parse_dates(text: str, what: str) -> tuple[set[date], dict[date, str]]:
    """One date per line, "2027-02-06" or "2027-02-06 春节"; blank lines are skipped."""
    days: set[date] = set()
    names: dict[date, str] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        head, _, name = line.partition(" ")
        try:
            day = date.fromisoformat(head.strip())
        except ValueError:
            raise ValueError(f"{what}第 {n} 行“{line[:40]}”不是 YYYY-MM-DD 格式的日期") from None
        days.add(day)
        if name.strip():
            names[day] = name.strip()[:40]
    return days, names


def _lines(days: frozenset[date], year: HolidayYear) -> str:
    return "\n".join(f"{d.isoformat()} {year.names.get(d, '')}".rstrip() for d in sorted(days))
