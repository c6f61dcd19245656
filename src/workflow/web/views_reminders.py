"""The district office's reminder preview, failed deliveries and the editable holiday table (issue 6)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy import select

from workflow import holidays
from workflow.db.models import Body
from workflow.db.session import begin_write
from workflow.domain import reminder_names
from workflow.domain.calendar import HolidayYear, describe_day
from workflow.domain.dates import FORMAT_HINT, parse_lines
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
        "name_step": reminder_names.name_step,
        "name_reminder": reminder_names.name_reminder,
        "channel_name": reminder_names.channel_name,
        "status_words": reminder_names.STATUS_WORDS,
    }
    return render(request, "admin/reminders.html", ctx)


def _holidays_context(db: DB, year: int | None) -> dict[str, object]:
    table = holidays.read_table()
    chosen = table.get(year) if year else None
    return {
        "years": [table[y] for y in sorted(table, reverse=True)],
        "warnings": svc.calendar_warnings(db, as_of=svc.today()),
        "year": year or "",
        "holidays_text": _lines(chosen.holidays, chosen) if chosen else "",
        "workdays_text": _lines(chosen.workdays, chosen) if chosen else "",
        "confirmed": chosen.confirmed if chosen else True,
        "error": "",
        "format_hint": FORMAT_HINT,
    }


@router.get("/admin/holidays")
def holidays_page(
    request: Request,
    user: AdminUser,
    db: DB,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    return render(request, "admin/holidays.html", _holidays_context(db, year))


@router.post("/admin/holidays")
def save_holidays(
    request: Request,
    user: AdminUser,
    db: DB,
    year: Annotated[str, Form(max_length=20)] = "",
    holiday_dates: Lines = "",
    workday_dates: Lines = "",
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        number = _year(year)
        off, off_names = parse_dates(holiday_dates, number, "节假日")
        on, on_names = parse_dates(workday_dates, number, "调休上班日")
        entry = HolidayYear(
            number, frozenset(off), frozenset(on), {**off_names, **on_names}, confirmed=bool(confirmed)
        )
    except ValueError as exc:  # nothing is written: the form comes back as typed, with the reason
        ctx = _holidays_context(db, None) | {
            "year": year,
            "holidays_text": holiday_dates,
            "workdays_text": workday_dates,
            "confirmed": bool(confirmed),
            "error": f"未保存：{exc}",
        }
        return render(request, "admin/holidays.html", ctx, status=422)
    holidays.save_year(entry)
    begin_write(db)
    audit.record(
        db,
        "admin.holidays_save",
        actor_id=user.id,
        year=number,
        holidays=len(entry.holidays),
        workdays=len(entry.workdays),
        confirmed=entry.confirmed,
    )
    db.commit()
    flash(request, f"已保存 {number} 年节假日表：节假日 {len(off)} 天，调休上班日 {len(on)} 天。")
    return redirect(f"/admin/holidays?year={number}")


def _year(text: str) -> int:
    digits = text.strip().removesuffix("年").strip()
    if not digits.isdigit() or not 2000 <= int(digits) <= 2100:
        raise ValueError(f"年份“{text.strip()[:20]}”不对，请填写四位数的年份，如 2027。")
    return int(digits)


def parse_dates(text: str, year: int, what: str) -> tuple[set[date], dict[date, str]]:
    """Each line a date or a range of dates of `year`, optionally named ("2月6日至12日 春节");
    a range is saved as each of its days.  Blank lines are skipped."""
    days: set[date] = set()
    names: dict[date, str] = {}
    for line in parse_lines(text, year, what):
        for day in line.days:
            days.add(day)
            if line.name:
                names[day] = line.name
    return days, names


def _lines(days: frozenset[date], year: HolidayYear) -> str:
    """One line per run of consecutive days with the same name: "2027-02-06至2027-02-12 春节"."""
    runs: list[tuple[date, date, str]] = []
    for d in sorted(days):
        name = year.names.get(d, "")
        if runs and runs[-1][2] == name and runs[-1][1] + timedelta(days=1) == d:
            runs[-1] = (runs[-1][0], d, name)
        else:
            runs.append((d, d, name))
    return "\n".join(
        f"{a.isoformat()}{'' if a == b else '至' + b.isoformat()} {name}".rstrip() for a, b, name in runs
    )
