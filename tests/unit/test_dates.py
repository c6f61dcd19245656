"""The holiday editor's date reader: the ways an office writes dates and ranges, and its refusals."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.domain.dates import FORMAT_HINT, DateLine, DateLineError, parse_line, parse_lines

Y = 2027


@pytest.mark.parametrize(
    ("text", "first", "last", "name"),
    [
        ("2027-02-06", date(2027, 2, 6), date(2027, 2, 6), ""),
        ("2027-02-06 春节", date(2027, 2, 6), date(2027, 2, 6), "春节"),
        ("2027/2/6", date(2027, 2, 6), date(2027, 2, 6), ""),
        ("2027年2月6日", date(2027, 2, 6), date(2027, 2, 6), ""),
        ("2027 年 2 月 6 日 春节", date(2027, 2, 6), date(2027, 2, 6), "春节"),
        ("2月6日", date(2027, 2, 6), date(2027, 2, 6), ""),
        ("2027年2月6日至2月12日", date(2027, 2, 6), date(2027, 2, 12), ""),
        ("2027年2月6日至2027年2月12日 春节", date(2027, 2, 6), date(2027, 2, 12), "春节"),
        ("2月6日—12日", date(2027, 2, 6), date(2027, 2, 12), ""),
        ("2月6日-12日", date(2027, 2, 6), date(2027, 2, 12), ""),
        ("2027-02-06 至 2027-02-12", date(2027, 2, 6), date(2027, 2, 12), ""),
        ("2027-02-06~2027-02-12 春节", date(2027, 2, 6), date(2027, 2, 12), "春节"),
        ("春节：2月6日至12日", date(2027, 2, 6), date(2027, 2, 12), "春节"),
        ("劳动节 5月1日至5日", date(2027, 5, 1), date(2027, 5, 5), "劳动节"),
        ("9月30日至10月7日 国庆节、中秋节", date(2027, 9, 30), date(2027, 10, 7), "国庆节、中秋节"),
    ],
)
def test_dates_and_ranges_as_offices_write_them(text: str, first: date, last: date, name: str) -> None:
    assert parse_line(text, Y) == DateLine(first, last, name)


def test_a_range_is_each_of_its_days() -> None:
    days = parse_line("2027年2月6日至2月12日", Y).days
    assert days == [date(2027, 2, d) for d in range(6, 13)]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("春节", "不是日期"),
        ("2027-13-01", "没有这一天"),
        ("2月30日", "没有这一天"),
        ("2026年12月31日", "不在 2027 年内"),
        ("2月12日至2月6日", "结束日期早于开始日期"),
        ("2月6日至12月6日", "超过 31 天"),
        ("2027-02-061", "不是日期"),
    ],
)
def test_unreadable_lines_say_what_to_write(text: str, says: str) -> None:
    with pytest.raises(DateLineError) as caught:
        parse_line(text, Y)
    assert says in str(caught.value)
    if says == "不是日期":
        assert FORMAT_HINT in str(caught.value)


def test_lines_skip_blanks_and_name_the_bad_line() -> None:
    parsed = parse_lines("2027-01-01 元旦\n\n2月6日至12日 春节\n", Y, "节假日")
    assert [len(p.days) for p in parsed] == [1, 7]
    with pytest.raises(DateLineError, match="节假日第 3 行"):
        parse_lines("2027-01-01\n\n二月六日\n", Y, "节假日")
