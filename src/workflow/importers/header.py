"""Header facts from a report's text: body name, year, 统计期限, 落款 date and signature."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from workflow.domain.bodies import BodyType, infer_body_type

_TITLE_SUFFIX = re.compile(
    r"信息公开(?:工作)?\s*(?:(?:19|20)\d\d\s*年度?)?\s*(?:工作)?\s*(?:年度)?\s*(?:工作)?\s*报告.*$"
)
_TRAILING_YEAR = re.compile(r"(?:19|20)\d\d\s*年度?$")
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d\d)\s*年")
_UNIT_NAME = re.compile(r"单位名称\s*[:：]\s*([^\s:：，,。]+)")
_PERIOD_WORD = re.compile(r"统计(?:期限|时限|期间|时间|区间|周期)")
_DATE = re.compile(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MONTH_DAY = re.compile(r"^\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_AS_OF = re.compile(r"截[至止]\s*((?:19|20)\d\d)\s*年\s*12\s*月\s*31\s*日")
_AGGREGATES = re.compile(r"汇总编制|汇总[^。；]{0,40}?各[^。；]{0,30}?(?:单位|部门|乡镇|街道|机关)")
_LINE_DATE = re.compile(r"^((?:19|20)\d\d)[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?$")
_CN_LINE_DATE = re.compile(
    r"^([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$"
)
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0}
_SIGN_SUFFIXES = (
    "政府",
    "办公室",
    "办事处",
    "委员会",
    "管委会",
    "局",
    "委",
    "办",
    "中心",
    "院",
    "厅",
    "部",
    "所",
    "队",
    "站",
    "处",
    "街道",
    "镇",
    "乡",
    "区",
    "县",
    "市",
    "公司",
    "小组",
    "党委",
)
_SENTENCE_MARKS = frozenset("。，,；;：:！？!?“”")


def body_from_title(title: str) -> str:
    """'鲁沙尔镇人民政府2024年政府信息公开工作年度报告' -> '鲁沙尔镇人民政府'."""
    rest = _TITLE_SUFFIX.sub("", title.replace(" ", "").replace("\u3000", ""))
    if rest.endswith("政府") and (not rest.endswith("人民政府") or rest.endswith("政府政府")):
        rest = rest[:-2]  # the 政府 of 政府信息公开, not the body's own 人民政府
    rest = _TRAILING_YEAR.sub("", rest)
    return rest.removeprefix("关于").strip()


def unit_name(text: str) -> str:
    m = _UNIT_NAME.search(text)
    return m.group(1) if m else ""


def year_in_title(title: str) -> int | None:
    m = _YEAR_IN_TITLE.search(title.replace(" ", ""))
    return int(m.group(1)) if m else None


def year_as_of(text: str) -> int | None:
    """'截至 2024 年 12 月 31 日' says which year the figures cover."""
    m = _AS_OF.search(text)
    return int(m.group(1)) if m else None


def aggregates(preamble: str) -> bool:
    return _AGGREGATES.search(preamble) is not None


def find_period(text: str) -> tuple[str, date | None, date | None]:
    """The 统计期限 sentence as written, and its first and last day."""
    m = _PERIOD_WORD.search(text)
    if m is None:
        return "", None, None
    start = max(text.rfind("。", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
    end = text.find("。", m.end())
    newline = text.find("\n", m.end())
    if end == -1 or (newline != -1 and newline < end):
        end = newline - 1 if newline != -1 else len(text) - 1
    sentence = text[start : end + 1].strip()
    return sentence, *_period_dates(sentence)


def _period_dates(sentence: str) -> tuple[date | None, date | None]:
    text = unicodedata.normalize("NFKC", sentence)
    first = _DATE.search(text)
    if first is None:
        return None, None
    start = _make_date(first.group(1), first.group(2), first.group(3))
    second = _DATE.search(text, first.end())
    if second is not None:
        return start, _make_date(second.group(1), second.group(2), second.group(3))
    tail = text[first.end() :].lstrip("起至到—-~～ ")
    md = _MONTH_DAY.match(tail)
    if md is not None:
        return start, _make_date(first.group(1), md.group(1), md.group(2))
    return start, None


def _make_date(y: str | int, m: str | int, d: str | int) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def parse_date_line(line: str) -> date | None | bool:
    """A line that is only a date: the date; False when the line is no date at all.

    None means "looks like a date but is not a real one" (2025年2月30日).
    """
    text = unicodedata.normalize("NFKC", line).replace(" ", "")
    if not text or len(text) > 16:
        return False
    m = _LINE_DATE.match(text)
    if m is not None:
        return _make_date(m.group(1), m.group(2), m.group(3))
    m = _CN_LINE_DATE.match(text)
    if m is not None:
        year = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
        return _make_date(year, _cn_number(m.group(2)), _cn_number(m.group(3)))
    return False


def _cn_number(text: str) -> int:
    # 一..九, 十, 十四, 二十, 三十一
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)


def looks_like_signature(line: str, body_name: str = "") -> bool:
    text = line.strip()
    if not text or len(text) > 40 or any(c in _SENTENCE_MARKS for c in text):
        return False
    if text[0] in "（(0123456789一二三四五六七八九十":
        return False
    return text == body_name or text.endswith(_SIGN_SUFFIXES) or infer_body_type(text) is not BodyType.OTHER


def looks_like_title(line: str) -> bool:
    return "报告" in line and len(line) <= 80 and "。" not in line
