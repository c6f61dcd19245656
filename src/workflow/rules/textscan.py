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
from dataclasses import dataclass, field

from workflow.domain.model import Report
from workflow.rules.engine import Context

# Characters that end a clause.  Parentheses do not: "75件（含上年结转1件）" stays one clause.
BREAKS = "，。；;！？!?,、：:\n"
_SPLIT = re.compile(f"[{BREAKS}]")
_SPACES = re.compile(r"[ \t\u3000\xa0\u2002\u2003\u200b]+")
_WIDTH = str.maketrans("０１２３４５６７８９％．", "0123456789%.")

# Words that make a count a comparison or a cumulative figure rather than this year's statement.
COMPARISON = re.compile(r"较|同比|环比|比上年|比去年|增加|减少|增长|下降|累计|以来|上一年度|去年")


def normalize(text: str) -> str:
    """Half-width digits, no spaces (except one between two digits, which must not merge)."""
    return _SPACES.sub(_space, text.translate(_WIDTH))


def _space(m: re.Match[str]) -> str:
    s, a, b = m.string, m.start(), m.end()
    return " " if a > 0 and b < len(s) and s[a - 1].isdigit() and s[b].isdigit() else ""


@dataclass(slots=True)
class Scan:
    """A report's text, normalised: `text(n)` per section (0 = preamble), `clauses(n)` split."""

    texts: dict[int, str]
    _clauses: dict[int, list[str]] = field(default_factory=dict)

    def text(self, section: int) -> str:
        return self.texts.get(section, "")

    def clauses(self, section: int) -> list[str]:
        got = self._clauses.get(section)
        if got is None:
            got = [c for c in _SPLIT.split(self.text(section)) if c]
            self._clauses[section] = got
        return got

    def counted_clauses(self, section: int, unit: str = "件") -> list[str]:
        """Clauses that hold a digit followed by `unit`: the only ones a count statement can be in."""
        key = -1000 * section - ord(unit[0])
        got = self._clauses.get(key)
        if got is None:
            got = [c for c in self.clauses(section) if unit in c and _DIGIT_UNIT(unit).search(c)]
            self._clauses[key] = got
        return got


_DIGIT_UNIT_CACHE: dict[str, re.Pattern[str]] = {}


def _DIGIT_UNIT(unit: str) -> re.Pattern[str]:  # noqa: N802 - a cached constant, read as one
    p = _DIGIT_UNIT_CACHE.get(unit)
    if p is None:
        p = _DIGIT_UNIT_CACHE[unit] = re.compile(rf"\d{re.escape(unit)}")
    return p


def scan_report(report: Report) -> Scan:
    texts = {0: normalize(report.preamble)}
    for n, s in report.sections.items():
        texts[n] = normalize(s.text)
    return Scan(texts)


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


@dataclass(frozen=True, slots=True)
class Found:
    """The numbers a statement was found with, and in which sections."""

    values: tuple[int, ...] = ()
    sections: tuple[int, ...] = ()

    @property
    def single(self) -> int | None:
        """The number when exactly one distinct number was found, else None."""
        distinct = set(self.values)
        return next(iter(distinct)) if len(distinct) == 1 else None

    @property
    def ambiguous(self) -> bool:
        return len(set(self.values)) > 1

    @property
    def section(self) -> int | None:
        return self.sections[0] if self.sections else None


def find(
    sc: Scan,
    sections: Iterable[int],
    *patterns: re.Pattern[str],
    unit: str = "件",
    require: re.Pattern[str] | None = None,
    exclude: re.Pattern[str] | None = COMPARISON,
) -> Found:
    """Every number the patterns find in the sections' clauses.

    `require`: the clause must also match this (e.g. 申请); `exclude`: a clause matching this is
    ignored (comparisons with last year by default).
    """
    values: list[int] = []
    where: list[int] = []
    for n in sections:
        for clause in sc.counted_clauses(n, unit):
            if exclude is not None and exclude.search(clause):
                continue
            if require is not None and not require.search(clause):
                continue
            for p in patterns:
                for m in p.finditer(clause):
                    values.append(int(m.group(1)))
                    where.append(n)
    return Found(tuple(values), tuple(where))
