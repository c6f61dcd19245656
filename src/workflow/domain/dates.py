"""Dates as people in a district office type them: "2027-02-06", "2027年2月6日", "2月6日", and ranges
such as "2027年2月6日至2月12日" or "2月6日—12日", each line optionally followed (or preceded) by a name.

Used by the holiday editor.  Pure: text in, dates out; a line that cannot be read raises `DateLineError`
with a message that says which line and what to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MAX_RANGE_DAYS = 31  # a longer "range" is almost certainly a typo (2月6日至12月6日)
FORMAT_HINT = "请写成“2027-02-06”“2027年2月6日”或“2月6日”，一段日期写成“2027年2月6日至2月12日”或“2月6日—12日”，名称可写在日期后面并用空格隔开（如“2027-02-06 春节”）"

_SEP = r"\s*(?:至|到|—{1,2}|–|－|~|～|-{1,2})\s*"
_START = (
    r"(?:(?P<y1>\d{4})\s*[-/.年]\s*)?"
    r"(?P<m1>\d{1,2})\s*[-/.月]\s*"
    r"(?P<d1>\d{1,2})(?!\d)\s*[日号]?"
)
_END = (
    r"(?:(?:(?P<y2>\d{4})\s*[-/.年]\s*)?"
    r"(?P<m2>\d{1,2})\s*[-/.月]\s*)?"
    r"(?P<d2>\d{1,2})(?!\d)\s*[日号]?"
)
_LINE = re.compile(rf"^(?P<name_before>[^\d]*?)[\s：:，,]*{_START}(?:{_SEP}{_END})?(?P<rest>.*)$")


class DateLineError(ValueError):
    """A line that is not a date or a range of dates; the message is for the person who typed it."""


@dataclass(frozen=True)
class DateLine:
    """One line: the days from `first` to `last` (both included) and an optional name."""

    first: date
    last: date
    name: str = ""

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def parse_line(text: str, year: int) -> DateLine:
    """One date or range of dates in `year` (the year being edited: "2月6日" means that year's)."""
    line = text.strip()
    m = _LINE.match(line)
    if m is None:
        raise DateLineError(f"“{line[:40]}”不是日期。{FORMAT_HINT}")
    rest = m["rest"].strip(" \t：:，,;；")
    if rest[:1].isdigit():
        raise DateLineError(f"“{line[:40]}”的日期写法看不懂。{FORMAT_HINT}")
    name = (m["name_before"].strip(" \t：:，,") or rest)[:40]
    first = _day(line, m["y1"], m["m1"], m["d1"], year)
    last = first
    if m["d2"] is not None:
        y2 = m["y2"] or str(first.year)
        m2 = m["m2"] or str(first.month)
        last = _day(line, y2, m2, m["d2"], year)
        if last < first:
            raise DateLineError(f"“{line[:40]}”的结束日期早于开始日期，请检查。")
        if (last - first).days >= MAX_RANGE_DAYS:
            raise DateLineError(
                f"“{line[:40]}”一段长达 {(last - first).days + 1} 天，超过 {MAX_RANGE_DAYS} 天，请检查是否写错。"
            )
    return DateLine(first, last, name)


def _day(line: str, y: str | None, m: str, d: str, year: int) -> date:
    try:
        day = date(int(y) if y else year, int(m), int(d))
    except ValueError:
        raise DateLineError(f"“{line[:40]}”中没有这一天（{m}月{d}日），请检查。") from None
    if day.year != year:
        raise DateLineError(f"“{line[:40]}”不在 {year} 年内：这里只填 {year} 年的日期，其他年份请另存一年。")
    return day


def parse_lines(text: str, year: int, what: str) -> list[DateLine]:
    """Every non-blank line of `text`; the first bad line raises with its line number and `what`."""
    out: list[DateLine] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            out.append(parse_line(raw, year))
        except DateLineError as exc:
            raise DateLineError(f"{what}第 {n} 行：{exc}") from None
    return out
