"""Reading numbers out of a report's prose: "the single number N in a statement".

Text rules compare what a report *says* ("共收到申请70件") with its tables.  Real text is noisy
("全区收到政府信息公开申请 75 件，涉及自然人72件"), so the helpers here are deliberately narrow:
a statement is a keyword and a count inside one clause (no comma, full stop, 、 or line break in
between, no other number in between).  A rule compares only when exactly one distinct number was
found for its statement; anything else is not assessed.  A missed comparison is cheap, a false error
is not.

Each section is normalised and split once per report; the result is cached on the Context.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Final

from workflow.domain.model import Report
from workflow.domain.numbers import as_count
from workflow.rules.engine import Context

# Characters that end a clause.  Parentheses do not: "75件（含上年结转1件）" stays one clause.
BREAKS: Final = "，。；;！？!?,、：:\n"
_SPACE_CHARS: Final = " \t\u3000\xa0\u2002\u2003\u200b"
_SPACES: Final = re.compile(f"[{_SPACE_CHARS}]+")
_WIDE: Final = re.compile("[０-９％．]")
_WIDE_MAP: Final = dict(zip("０１２３４５６７８９％．", "0123456789%.", strict=True))

# Words that make a count a comparison or a cumulative figure rather than this year's statement.
COMPARISON: Final = re.compile(r"较|同比|环比|比上年|比去年|增加|减少|增长|下降|累计|以来|去年")
_SENTENCE_ENDS: Final = "；;！？!?\n"
_YEAR: Final = re.compile(r"(\d{4})年")


def normalize(text: str) -> str:
    """Half-width digits, no spaces (except one between two digits, which must not merge)."""
    # Regex scans and str.translate cost ~40 ns per CJK character; `in` costs almost nothing, so the
    # common case (no wide digits, no spaces) is decided with `in` alone.
    if text.isascii():
        return _SPACES.sub(_space, text) if (" " in text or "\t" in text) else text
    for c in _WIDE_MAP:
        if c in text:
            text = _WIDE.sub(lambda m: _WIDE_MAP[m.group()], text)
            break
    for c in _SPACE_CHARS:
        if c in text:
            return _SPACES.sub(_space, text)
    return text


def _space(m: re.Match[str]) -> str:
    s, a, b = m.string, m.start(), m.end()
    return " " if a > 0 and b < len(s) and s[a - 1].isdigit() and s[b].isdigit() else ""


@dataclass(slots=True)
class Scan:
    """A report's text, normalised on first use: `text(n)` per section (0 = preamble), `sentences(n)`."""

    report: Report
    _texts: dict[int, str]
    _sentences: dict[int, list[str]]

    def __init__(self, report: Report) -> None:
        self.report = report
        self._texts = {}
        self._sentences = {}

    def text(self, section: int) -> str:
        got = self._texts.get(section)
        if got is None:
            if section == 0:
                raw = self.report.preamble
            else:
                s = self.report.sections.get(section)
                raw = s.text if s is not None else ""
            got = self._texts[section] = normalize(raw)
        return got

    @property
    def sections(self) -> list[int]:
        return sorted(self.report.sections)

    def sentences(self, section: int) -> list[str]:
        got = self._sentences.get(section)
        if got is None:
            got = [c for c in split_on(self.text(section), "。", _SENTENCE_ENDS) if c]
            self._sentences[section] = got
        return got


def split_on(text: str, sep: str, others: str) -> list[str]:
    """Split on `sep` and every character of `others` (str.replace/split: far cheaper than re.split)."""
    for c in others:
        if c in text:
            text = text.replace(c, sep)
    return text.split(sep)


def clauses(sentence: str) -> list[str]:
    return split_on(sentence, "，", BREAKS)


def other_year(clause: str, year: int | None) -> bool:
    """The clause names a year other than the report's: it speaks of another year's figures."""
    if year is None:
        return False
    return any(int(y) != year for y in _YEAR.findall(clause))


def scan_report(report: Report) -> Scan:
    return Scan(report)


def scan(ctx: Context) -> Scan:
    """The current report's scan, computed once per validation."""
    got = ctx.cache.get("textscan")
    if got is None:
        got = ctx.cache["textscan"] = scan_report(ctx.report)
    return got


def statement(keywords: str, *, unit: str = "件", gap: int = 8) -> re.Pattern[str]:
    """`<keyword> … N<unit>`: at most `gap` characters, none a digit, between keyword and number."""
    return re.compile(rf"(?:{keywords})[^\d{BREAKS}]{{0,{gap}}}?(\d+){re.escape(unit)}")


def statement_before(keywords: str, *, unit: str = "件", gap: int = 4) -> re.Pattern[str]:
    """`N<unit> … <keyword>` ("1件结转下年度继续办理")."""
    return re.compile(rf"(?<![\d.])(\d+){re.escape(unit)}[^\d{BREAKS}]{{0,{gap}}}?(?:{keywords})")


@dataclass(slots=True, unsafe_hash=True)  # not frozen (see engine.Locator)
class Found:
    """The numbers a statement was found with, and in which sections."""

    values: tuple[int, ...]
    sections: tuple[int, ...]

    def __init__(self, values: tuple[int, ...] = (), sections: tuple[int, ...] = ()) -> None:
        self.values = values
        self.sections = sections

    @property
    def single(self) -> int | None:
        """The number when exactly one distinct number was found, else None."""
        values = self.values
        if not values:
            return None
        first = values[0]
        for v in values:
            if v != first:
                return None
        return first

    @property
    def ambiguous(self) -> bool:
        """More than one distinct number."""
        return len(self.values) > 1 and self.single is None

    @property
    def section(self) -> int | None:
        return self.sections[0] if self.sections else None


def find(
    sc: Scan,
    sections: Iterable[int],
    *patterns: re.Pattern[str],
    unit: str = "件",
    topic: re.Pattern[str] | None = None,
    off_topic: re.Pattern[str] | None = None,
    exclude: re.Pattern[str] | None = COMPARISON,
    year: int | None = None,
) -> Found:
    """Every number the patterns find in the sections' clauses.

    A sentence must match `topic` (e.g. 申请) and must not match `off_topic` (e.g. 政务服务); a clause
    matching `exclude` (comparisons by default) or naming a year other than `year` is ignored.
    """
    return find_in(collect(sc, sections, unit, topic, off_topic, exclude, year), *patterns)


def collect(
    sc: Scan,
    sections: Iterable[int],
    unit: str = "件",
    topic: re.Pattern[str] | None = None,
    off_topic: re.Pattern[str] | None = None,
    exclude: re.Pattern[str] | None = COMPARISON,
    year: int | None = None,
) -> list[tuple[int, str]]:
    """The (section, clause) pairs `find` would look in; collect once, `find_in` many times."""
    out: list[tuple[int, str]] = []
    for n in sections:
        for sentence in sc.sentences(n):
            if unit not in sentence:
                continue
            if topic is not None and not topic.search(sentence):
                continue
            if off_topic is not None and off_topic.search(sentence):
                continue
            for clause in clauses(sentence):
                if unit not in clause or (exclude is not None and exclude.search(clause)):
                    continue
                if year is not None and "年" in clause and other_year(clause, year):
                    continue
                out.append((n, clause))
    return out


def find_in(pairs: Iterable[tuple[int, str]], *patterns: re.Pattern[str]) -> Found:
    values: list[int] = []
    where: list[int] = []
    for n, clause in pairs:
        for p in patterns:
            for m in p.finditer(clause):
                values.append(as_count(m.group(1)))
                where.append(n)
    return Found(tuple(values), tuple(where))


# ------------------------------------------------------------------ 统计期限 and names (E4, G5, G6)
_PERIOD_RANGE: Final = re.compile(
    r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:起)?[,，]?(?:至|到|—|－|-|~|～)+(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日"
)
PERIOD_WORDS: Final = re.compile(r"统计(?:期限|时限|时段|周期|区间|时间)")


@dataclass(slots=True, unsafe_hash=True)  # see Found
class Period:
    """The 统计期限 as written: the sentence, and its two dates as (year, month, day) when found."""

    text: str
    start: tuple[int, int, int] | None
    end: tuple[int, int, int] | None

    def __init__(
        self, text: str, start: tuple[int, int, int] | None = None, end: tuple[int, int, int] | None = None
    ) -> None:
        self.text = text
        self.start = start
        self.end = end


def period(report: Report) -> Period | None:
    """The report's 统计期限: from the header's sentence, else the preamble; None when absent."""
    text = normalize(report.header.period_text)
    if not text:
        pre = normalize(report.preamble)
        m = PERIOD_WORDS.search(pre)
        if m is not None:
            text = pre[m.start() : m.start() + 60]
    if not text:
        h = report.header
        if h.period_start is not None and h.period_end is not None:
            s, e = h.period_start, h.period_end
            return Period("", (s.year, s.month, s.day), (e.year, e.month, e.day))
        return None
    m = _PERIOD_RANGE.search(text)
    if m is None:
        return Period(text)
    # "2024年1月1日至12月31日": the end year may be left implicit.
    g = [int(x) if x is not None else int(m.group(1)) for x in m.groups()]
    return Period(text, (g[0], g[1], g[2]), (g[3], g[4], g[5]))


def period_of(ctx: Context) -> Period | None:
    """The current report's 统计期限, read once per validation (G5 and E4 both need it)."""
    if "period" not in ctx.cache:
        ctx.cache["period"] = period(ctx.report)
    got: Period | None = ctx.cache["period"]
    return got


def title_of(ctx: Context) -> str:
    """The current report's title, normalised once per validation (E4 and G6 both read it)."""
    got: str | None = ctx.cache.get("title")
    if got is None:
        got = ctx.cache["title"] = normalize(ctx.report.header.title)
    return got


_NAME_SUFFIXES: Final = (
    "人民政府",
    "政府",
    "街道办事处",
    "办事处",
    "管理委员会",
    "管委会",
    "办公室",
    "党工委",
)


@lru_cache(maxsize=4096)
def name_core(name: str) -> str:
    """A body's name without its generic suffix: 鲁沙尔镇人民政府 → 鲁沙尔镇."""
    n = normalize(name)
    for suffix in _NAME_SUFFIXES:
        if n.endswith(suffix) and len(n) > len(suffix) + 1:
            return n[: -len(suffix)]
    return n


@lru_cache(maxsize=4096)
def same_body(a: str, b: str) -> bool:
    """True when two written names can be the same body (one is a fuller form of the other)."""
    ca, cb = name_core(a), name_core(b)
    if not ca or not cb:
        return True
    return ca in normalize(b) or cb in normalize(a)


@lru_cache(maxsize=4096)
def name_likeness(a: str, b: str) -> float:
    """How alike two body names are (0–1): 湟中区教育局 / 湟中区民政局 are alike, 多巴镇 / 鲁沙尔镇 are not."""
    return SequenceMatcher(None, name_core(a), name_core(b)).ratio()
