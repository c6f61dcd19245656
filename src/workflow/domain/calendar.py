"""Workdays under the Chinese public-holiday schedule (法定节假日 and 调休 make-up workdays).

The calendar is pure: it is built from per-year holiday data handed to it (read from
config/holidays.toml and, as a default source, the `chinese_calendar` package, outside the domain).
A year with no data falls back to "Monday to Friday are workdays" and is reported by
`missing_years` / `warnings` so that the administrator can add the State Council's schedule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


@dataclass(frozen=True)
class HolidayYear:
    """One year's schedule: days off (incl. the weekends inside a holiday) and make-up workdays."""

    year: int
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    names: Mapping[date, str] = field(default_factory=dict)
    # False while the State Council has not published the year's notice (a provisional table).
    confirmed: bool = True
    source: str = "config"

    def __post_init__(self) -> None:
        stray = [d for d in self.holidays | self.workdays if d.year != self.year]
        if stray:
            raise ValueError(f"{self.year} 年节假日表中含有其他年份的日期：{sorted(stray)[0].isoformat()}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} 同时被列为节假日和调休上班日")

    @property
    def has_data(self) -> bool:
        return bool(self.holidays or self.workdays)


@dataclass(frozen=True)
class CalendarWarning:
    """Something the administrator must fix in the holiday table."""

    year: int
    kind: str  # "missing" | "unconfirmed"
    message: str


class WorkCalendar:
    """Answers "is this a workday" and counts workdays; immutable and cheap to query."""

    def __init__(self, years: Iterable[HolidayYear] = ()) -> None:
        years = list(years)
        self._years: dict[int, HolidayYear] = {y.year: y for y in years if y.has_data}
        self._unconfirmed = frozenset(y.year for y in years if not y.confirmed)
        self._off: frozenset[date] = frozenset(d for y in self._years.values() for d in y.holidays)
        self._on: frozenset[date] = frozenset(d for y in self._years.values() for d in y.workdays)
        # Memoised: schedules ask the same few (anchor, offset) questions for every body.
        self._shift_cache: dict[tuple[date, int], date] = {}

    @property
    def years(self) -> Mapping[int, HolidayYear]:
        return self._years

    def has_data(self, year: int) -> bool:
        return year in self._years

    def is_workday(self, day: date) -> bool:
        if day in self._on:
            return True
        if day in self._off:
            return False
        return day.weekday() < 5

    def holiday_name(self, day: date) -> str | None:
        y = self._years.get(day.year)
        return y.names.get(day) if y else None

    def add_workdays(self, day: date, n: int) -> date:
        """The n-th workday after `day` (n > 0) or before it (n < 0); n == 0 returns `day` itself."""
        key = (day, n)
        hit = self._shift_cache.get(key)
        if hit is None:
            hit = self._shift_cache[key] = self._walk(day, n)
        return hit

    def _walk(self, day: date, n: int) -> date:
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        current = day
        while remaining:
            current += step
            if self.is_workday(current):
                remaining -= 1
        return current

    def next_workday(self, day: date) -> date:
        """`day` itself when it is a workday, else the first workday after it."""
        return day if self.is_workday(day) else self.add_workdays(day, 1)

    def workdays_between(self, start: date, end: date) -> int:
        """Workdays in (start, end]; negative when end is before start."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=i)))

    def missing_years(self, years: Iterable[int]) -> list[int]:
        return sorted({y for y in years if y not in self._years})

    def warnings(self, years: Iterable[int]) -> list[CalendarWarning]:
        """Warnings for the years in use: no data (weekends only) or a provisional table."""
        out: list[CalendarWarning] = []
        for y in sorted(set(years)):
            if y not in self._years:
                out.append(
                    CalendarWarning(
                        y,
                        "missing",
                        f"{y} 年没有节假日数据，目前只按周末计算工作日；"
                        f"请在国务院办公厅公布 {y} 年节假日安排后补录节假日和调休上班日。",
                    )
                )
            elif y in self._unconfirmed:
                out.append(
                    CalendarWarning(
                        y, "unconfirmed", f"{y} 年节假日表为暂定数据，待国务院办公厅通知公布后核对。"
                    )
                )
        return out


def years_spanned(start: date, end: date) -> range:
    return range(min(start, end).year, max(start, end).year + 1)


def describe_day(day: date) -> str:
    """ "2027年1月31日（星期日）" for messages."""
    return f"{day.year}年{day.month}月{day.day}日（{WEEKDAY_NAMES[day.weekday()]}）"
