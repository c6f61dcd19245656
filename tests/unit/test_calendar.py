"""Workdays, the holiday table and the season calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.domain.bodies import BodyType
from workflow.domain.calendar import HolidayYear, WorkCalendar
from workflow.domain.deadlines import DeadlineRule, Extension, SeasonCalendar, statutory_deadline
from workflow.holidays import load_calendar, read_table, save_year, year_from_mapping

# A plausible 2027 table (the State Council had not published it when this was written).
TABLE_2027 = {
    "status": "confirmed",
    "holidays": [
        {"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"},
        {"name": "春节", "start": "2027-02-05", "end": "2027-02-13"},
    ],
    "workdays": [{"name": "春节", "date": "2027-02-20"}],
}


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar()


def test_2026_spring_festival_and_make_up_workdays(cal: WorkCalendar) -> None:
    assert not cal.is_workday(date(2026, 2, 17))  # 春节, a Tuesday
    assert cal.holiday_name(date(2026, 2, 17)) == "春节"
    assert cal.is_workday(date(2026, 2, 14))  # Saturday worked (调休)
    assert cal.is_workday(date(2026, 2, 28))
    assert not cal.is_workday(date(2026, 1, 1))
    assert cal.is_workday(date(2026, 1, 4))  # Sunday worked after 元旦


def test_add_workdays_skips_the_holiday(cal: WorkCalendar) -> None:
    # Friday 13 Feb 2026 + 1 workday = Saturday 14 (调休); + 2 = Tuesday 24 (after the 9-day holiday).
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert cal.add_workdays(date(2026, 2, 24), -1) == date(2026, 2, 14)
    assert cal.workdays_between(date(2026, 2, 13), date(2026, 2, 24)) == 2


def test_2027_has_no_data_yet_so_weekends_only_with_a_warning(cal: WorkCalendar) -> None:
    assert not cal.has_data(2027)
    assert cal.is_workday(date(2027, 2, 8))  # a Monday in the (unknown) 2027 春节
    assert not cal.is_workday(date(2027, 1, 30))  # Saturday
    warnings = cal.warnings([2026, 2027])
    assert [(w.year, w.kind) for w in warnings] == [(2027, "missing")]
    assert "2027 年没有节假日数据" in warnings[0].message


def test_config_marks_2027_as_to_be_confirmed() -> None:
    placeholder = read_table()[2027]
    assert not placeholder.confirmed and not placeholder.has_data


def test_adding_a_2027_table_moves_workdays(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    save_year(year_from_mapping(2027, TABLE_2027), path)
    cal = load_calendar(path)
    assert cal.has_data(2027) and cal.warnings([2027]) == []
    assert not cal.is_workday(date(2027, 2, 8))
    assert cal.is_workday(date(2027, 2, 20))
    # Thursday 4 Feb + 1 workday: Monday 15 Feb instead of Friday 5 Feb.
    assert cal.add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 15)
    assert load_calendar().add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 5)


def test_table_round_trips_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    y = year_from_mapping(2027, TABLE_2027)
    save_year(y, path)
    again = read_table(path)[2027]
    assert again.holidays == y.holidays and again.workdays == y.workdays
    assert again.names[date(2027, 2, 7)] == "春节"


def test_a_day_cannot_be_both_holiday_and_workday() -> None:
    with pytest.raises(ValueError, match="同时"):
        HolidayYear(2027, frozenset({date(2027, 2, 6)}), frozenset({date(2027, 2, 6)}))


@given(st.dates(date(2025, 1, 1), date(2027, 12, 31)), st.integers(-40, 40))
def test_add_workdays_lands_on_a_workday_and_counts_back(day: date, n: int) -> None:
    cal = load_calendar()
    target = cal.add_workdays(day, n)
    if n > 0:
        assert cal.is_workday(target)
        assert cal.workdays_between(day, target) == n  # workdays in (day, target]
    elif n < 0:
        assert cal.is_workday(target)
        assert (
            cal.workdays_between(target - timedelta(days=1), day - timedelta(days=1)) == -n
        )  # [target, day)
    else:
        assert target == day


def test_weekends_only_calendar_has_five_workdays_a_week() -> None:
    cal = WorkCalendar()
    monday = date(2027, 1, 4)
    assert sum(cal.is_workday(monday + timedelta(days=i)) for i in range(7)) == 5


# --- the season calendar -------------------------------------------------------------------------


def test_statutory_deadlines_by_body_type() -> None:
    assert statutory_deadline(2026, BodyType.COUNTY_DEPARTMENT) == date(2027, 1, 31)
    assert statutory_deadline(2026, BodyType.COUNTY_GOVERNMENT) == date(2027, 3, 31)
    assert statutory_deadline(2026, BodyType.CITY_GOVERNMENT) == date(2027, 3, 31)
    assert statutory_deadline(2026, BodyType.TOWNSHIP) == date(2027, 1, 31)
    assert statutory_deadline(2026, BodyType.STREET, township_due=date(2027, 1, 20)) == date(2027, 1, 20)


def test_season_overrides_most_specific_wins_and_extension_moves_the_date() -> None:
    season = SeasonCalendar(
        2026,
        rules=(
            DeadlineRule(date(2027, 1, 25), body_type=BodyType.TOWNSHIP),
            DeadlineRule(date(2027, 1, 22), body_type=BodyType.TOWNSHIP, locality="东城片区"),
        ),
        internal_due=date(2027, 1, 15),
    )
    assert season.deadline_for(BodyType.TOWNSHIP).due == date(2027, 1, 25)
    assert season.deadline_for(BodyType.TOWNSHIP, "东城片区").due == date(2027, 1, 22)
    dept = season.deadline_for(BodyType.COUNTY_DEPARTMENT)
    assert dept.due == date(2027, 1, 31) and dept.internal_due == date(2027, 1, 15)
    extended = season.deadline_for(
        BodyType.COUNTY_DEPARTMENT,
        extensions=[
            Extension(date(2027, 2, 20), "系统故障", "王五", datetime(2027, 1, 20, 9)),
            Extension(date(2027, 2, 10), "缩短延期", "王五", datetime(2027, 1, 25, 9)),
        ],
    )
    assert extended.due == date(2027, 2, 10) and extended.statutory == date(2027, 1, 31)
    assert extended.extension is not None and extended.extension.reason == "缩短延期"
    assert extended.internal_due is None
