"""The editable holiday table (config/holidays.toml) and the default source (`chinese_calendar`).

The domain's WorkCalendar takes data; this module does the reading and writing.  Years in the table
win over the package's years; the package (2004–2026 in version 1.11) fills the rest.  A year marked
`to_be_confirmed` with no dates counts as missing: weekends only, and a warning for the administrator.
The admin page edits the table through `read_table` / `save_year` / `delete_year`.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from workflow.domain.calendar import CalendarWarning, HolidayYear, WorkCalendar
from workflow.settings import PROJECT_ROOT

HOLIDAYS_FILE = PROJECT_ROOT / "config" / "holidays.toml"
CONFIRMED, TO_BE_CONFIRMED = "confirmed", "to_be_confirmed"
_HEADER = (
    "# 节假日表：法定节假日和调休上班日，按年份一节（由管理页面写入，也可手工编辑）。\n"
    "# status: confirmed | to_be_confirmed；holidays: { name, start, end } 含首尾；workdays: { name, date }\n"
)


def holidays_file() -> Path:
    return Path(os.environ.get("WORKFLOW_HOLIDAYS_FILE") or HOLIDAYS_FILE)


def read_table(path: Path | None = None) -> dict[int, HolidayYear]:
    """Years in the editable table (possibly empty placeholders); {} when the file does not exist."""
    p = path or holidays_file()
    if not p.exists():
        return {}
    with p.open("rb") as fh:
        data = tomllib.load(fh)
    return {int(key): year_from_mapping(int(key), value) for key, value in data.items()}


def year_from_mapping(year: int, data: dict[str, Any]) -> HolidayYear:
    names: dict[date, str] = {}
    off: set[date] = set()
    for item in data.get("holidays", []):
        start, end = _day(item["start"]), _day(item.get("end", item["start"]))
        for i in range((end - start).days + 1):
            d = start + timedelta(days=i)
            off.add(d)
            names[d] = item.get("name", "")
    on: set[date] = set()
    for item in data.get("workdays", []):
        d = _day(item["date"])
        on.add(d)
        names[d] = item.get("name", "")
    status = data.get("status", CONFIRMED)
    if status not in (CONFIRMED, TO_BE_CONFIRMED):
        raise ValueError(f"{year} 年的 status 应为 confirmed 或 to_be_confirmed，而不是 {status!r}")
    return HolidayYear(
        year,
        frozenset(off),
        frozenset(on),
        names,
        confirmed=status == CONFIRMED,
        source=data.get("source", "") or "config",
    )


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def package_years() -> dict[int, HolidayYear]:
    """What `chinese_calendar` knows, one HolidayYear per year it covers."""
    import chinese_calendar as cc  # imported late: only the default source needs it

    years: dict[int, dict[str, set[date]]] = {}
    names: dict[date, str] = {}
    for d, name in cc.holidays.items():
        years.setdefault(d.year, {"off": set(), "on": set()})["off"].add(d)
        names[d] = str(name.value if hasattr(name, "value") else name)
    for d, name in cc.workdays.items():
        if d.weekday() >= 5:  # the package lists every workday it knows of; only 调休 matter
            years.setdefault(d.year, {"off": set(), "on": set()})["on"].add(d)
            names[d] = str(name.value if hasattr(name, "value") else name)
    return {
        y: HolidayYear(y, frozenset(v["off"]), frozenset(v["on"]), names, source="chinese_calendar")
        for y, v in years.items()
    }


def merged_years(path: Path | None = None, *, use_package: bool = True) -> dict[int, HolidayYear]:
    years = package_years() if use_package else {}
    years.update(read_table(path))  # the editable table wins, placeholders included
    return years


def load_calendar(path: Path | None = None, *, use_package: bool = True) -> WorkCalendar:
    return WorkCalendar(merged_years(path, use_package=use_package).values())


def calendar_warnings(years_in_use: Iterable[int], path: Path | None = None) -> list[CalendarWarning]:
    """Warnings for the administrator about the years a season touches."""
    return load_calendar(path).warnings(years_in_use)


def save_year(year: HolidayYear, path: Path | None = None) -> None:
    """Add or replace one year in the editable table (atomic rewrite of the file)."""
    table = read_table(path)
    table[year.year] = year
    _write(table, path or holidays_file())


def delete_year(year: int, path: Path | None = None) -> None:
    table = read_table(path)
    table.pop(year, None)
    _write(table, path or holidays_file())


def _write(table: dict[int, HolidayYear], path: Path) -> None:
    text = _HEADER + "".join(_year_toml(table[y]) for y in sorted(table))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".holidays-", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _year_toml(y: HolidayYear) -> str:
    lines = [
        "",
        f"[{y.year}]",
        f'status = "{CONFIRMED if y.confirmed else TO_BE_CONFIRMED}"',
        f"source = {_q(y.source if y.source != 'config' else '')}",
        "holidays = [",
    ]
    for name, start, end in _ranges(y):
        lines.append(f'  {{ name = {_q(name)}, start = "{start.isoformat()}", end = "{end.isoformat()}" }},')
    lines += ["]", "workdays = ["]
    for d in sorted(y.workdays):
        lines.append(f'  {{ name = {_q(y.names.get(d, ""))}, date = "{d.isoformat()}" }},')
    lines.append("]")
    return "\n".join(lines) + "\n"


def _ranges(y: HolidayYear) -> list[tuple[str, date, date]]:
    """Consecutive days off with the same name, folded back into ranges."""
    out: list[tuple[str, date, date]] = []
    for d in sorted(y.holidays):
        name = y.names.get(d, "")
        if out and out[-1][0] == name and out[-1][2] + timedelta(days=1) == d:
            out[-1] = (name, out[-1][1], d)
        else:
            out.append((name, d, d))
    return out


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
