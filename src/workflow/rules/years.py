"""Family E of the rule catalog (shared/domain/RULES.md): the report against last year's, and its own year."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from workflow.domain.formats import T3_COLUMNS
from workflow.domain.model import Number, Report
from workflow.rules.engine import Context, Emitter, Locator, Rule, Severity
from workflow.rules.textscan import (
    COMPARISON,
    Period,
    name_core,
    name_likeness,
    normalize,
    period_of,
    same_body,
    scan,
    title_of,
)

_T3_LABELS: Final = {c.key: c.label for c in T3_COLUMNS}


def _previous_ok(ctx: Context, out: Emitter) -> Report | None:
    """Last year's report, or None (with a skip) when what we hold is not the year before."""
    prev = ctx.previous
    if prev is None:
        out.skip("没有上一年度报告，无法进行跨年度核对")
        return None
    y, py = ctx.year, prev.header.year
    if y is not None and py is not None and py != y - 1:
        out.skip(f"所给的上一年度报告是{py}年的，不是{y - 1}年的，未核对")
        return None
    return prev


# ------------------------------------------------------------------ E1
def _e1(ctx: Context, out: Emitter) -> None:
    prev = _previous_ok(ctx, out)
    if prev is None:
        return
    cur, old = ctx.report.table("t3"), prev.table("t3")
    if not (cur.present and old.present):
        out.skip("本年或上一年度报告缺少表三，无法核对上年结转")
        return
    # A previous report imported from outside may have been corrected since: a mismatch is a question.
    severity = Severity.WARNING if ctx.previous_imported else None
    missing = []
    for col, label in _T3_LABELS.items():
        now, before = cur.value("carried", col), old.value("forward", col)
        if now is None or before is None:
            missing.append(label)
            continue
        if now != before:
            out.add(
                Locator(3, "t3", "carried", col),
                f"表三“二、上年结转政府信息公开申请数量”{label}列为{now}，"
                f"上一年度报告“四、结转下年度继续办理”为{before}，两者应相等",
                expected=before,
                actual=now,
                severity=severity,
            )
    if missing:
        out.skip(f"表三上年结转或上年度结转下年度有空格（{'、'.join(missing)}），这些列未核对")


# ------------------------------------------------------------------ E3
_LAST_YEAR: Final = re.compile(r"上年|上一年|去年|前一年|往年|整改|以往")
_MIN_COMPARABLE: Final = 20  # shorter texts are G9's business, not a copy question


def _similarity(a: str, b: str) -> float:
    """Jaccard similarity of character 3-grams; digits folded so a changed year does not hide a copy."""
    ga, gb = _grams(a), _grams(b)
    if not ga or not gb:
        return 0.0
    return len(ga & gb) / len(ga | gb)


_DIGITS: Final = str.maketrans("0123456789", "0000000000")


def _grams(text: str) -> set[str]:
    t = text.translate(_DIGITS)
    return {t[i : i + 3] for i in range(len(t) - 2)}


def _e3(ctx: Context, out: Emitter) -> None:
    # Two questions in one rule.  (1) Copied from last year: needs last year's report.  (2) Not a word
    # on last year's problems: section 五 must say how last year's problems were fixed (FORMAT.md), and
    # that can be judged without last year's report, so it runs even when there is none — as a warning,
    # since a body may fold the follow-up into its measures without naming last year.
    if 5 not in ctx.report.sections:
        out.skip("报告缺少第五部分，无法核对")
        return
    text = scan(ctx).text(5)
    if not text:
        return  # an empty 五 is G9's error
    if not _LAST_YEAR.search(text) and (ctx.year is None or f"{ctx.year - 1}年" not in text):
        out.add(
            Locator(5, row="上年问题整改"),
            "第五部分没有说明上一年度报告所提问题的整改情况",
        )
    prev = _previous_ok(ctx, out)
    if prev is None:
        return
    before = normalize(prev.section_text(5))
    if len(text) < _MIN_COMPARABLE or len(before) < _MIN_COMPARABLE:
        return
    sim = _similarity(text, before)
    if sim > 0.9:
        out.add(
            Locator(5),
            f"第五部分与上一年度报告几乎相同（相似度{sim:.0%}），请据实写明本年的问题和改进",
            expected="≤ 90%",
            actual=f"{sim:.0%}",
        )


# ------------------------------------------------------------------ E4
_TITLE_YEAR: Final = re.compile(r"(\d{4})年")
_OPENING_YEAR: Final = re.compile(r"^[（(]?[一1]?[)）]?[^\d，。]{0,6}?(\d{4})年度?[，,、]")
_REPORT_HERE: Final = re.compile(r"现将[^。《》]{0,12}?(\d{4})年度?[^。《》]{0,12}?报告")
_TITLE_BODY: Final = re.compile(r"^(.+?)(?:关于)?\d{4}年")


def _e4(ctx: Context, out: Emitter) -> None:
    y = ctx.year
    if y is None:
        out.skip("无法确定报告年度，未核对年份")
        return
    h = ctx.report.header
    title = title_of(ctx)
    m = _TITLE_YEAR.search(title)
    if m is not None and int(m.group(1)) != y:
        out.add(
            Locator(row="标题"),
            f"标题中的年份{m.group(1)}年与报告年度{y}年不一致",
            expected=y,
            actual=int(m.group(1)),
        )
    _e4_period(y, period_of(ctx), out)
    if h.body_name:
        _e4_body(h.body_name, title, out)
    else:
        out.skip("报告中找不到机关名称（标题、落款和正文都没有），未核对标题中的机关名称")
    _e4_leftover(y, scan(ctx).text(1), out)


def _e4_period(y: int, p: Period | None, out: Emitter) -> None:
    if p is None or p.start is None or p.end is None:
        return  # absent or unreadable: G5
    for when, label in ((p.start, "起始"), (p.end, "截止")):
        if when[0] != y:
            out.add(
                Locator(row="统计期限"),
                f"统计期限的{label}年份{when[0]}年与报告年度{y}年不一致",
                expected=y,
                actual=when[0],
            )
            return


_SUBHEAD: Final = re.compile(
    r"^\s*[（(][一二三四五六七八九十]+[)）](?:[^。，,\d]{0,16}?(?:情况|方面)[。：:\s]*|\s*)"
)


def _compares(text: str) -> bool:
    """The opening compares with another year ("与2022年相比", "较上年")."""
    head = text[:40]
    return COMPARISON.search(head) is not None or "相比" in head


def _e4_body(body_name: str, title: str, out: Emitter) -> None:
    m = _TITLE_BODY.match(title)
    if m is None or not body_name:
        return
    written = m.group(1)
    if name_core(written) and not same_body(written, body_name):
        # Names that share most of their words (the same place, a sibling department, or an
        # abbreviation we do not know) are a question, not a certainty: warn.  Unlike names are an error.
        alike = name_likeness(written, body_name) >= 0.5
        out.add(
            Locator(row="单位名称"),
            f"标题中的机关名称“{written}”与填报单位“{body_name}”不一致，是否沿用了其他单位的报告？",
            expected=body_name,
            actual=written,
            severity=Severity.WARNING if alike else None,
        )


def _e4_leftover(y: int, text1: str, out: Emitter) -> None:
    """A year other than Y where the text speaks of "this year": a report copied from another year."""
    # Each paragraph's opening too ("（三）政府信息管理情况 2022年，…共制定规范性文件0件"), not only the first.
    openings = [text1[:200]]
    if "\n(" in text1 or "\n（" in text1:
        openings += [
            _SUBHEAD.sub("", line, count=1)[:200]
            for line in text1.split("\n")[1:]
            if line[:1] in "（(" and "年" in line[:40]
        ]
    for pattern in (_OPENING_YEAR, _REPORT_HERE):
        texts = openings if pattern is _OPENING_YEAR else [text1]
        m = next(
            (
                got
                for t in texts
                if (got := pattern.search(t)) is not None
                and (int(got.group(1)) < y or (t is texts[0] and int(got.group(1)) != y))
                and not _compares(t)
            ),
            None,
        )
        if m is not None and int(m.group(1)) != y:
            out.add(
                Locator(1),
                f"第一部分写的是“{m.group(1)}年”，而报告年度是{y}年，是否沿用了往年的报告？",
                expected=y,
                actual=int(m.group(1)),
            )
            return


# ------------------------------------------------------------------ E5
_E5_CELLS: Final = (
    ("t3", "new", "表三 本年新收申请总计"),
    ("t3", "total", "表三 办理结果总计"),
    ("t4", "review", "表四 行政复议总计"),
    ("t4", "direct", "表四 未经复议直接起诉总计"),
    ("t4", "after_review", "表四 复议后起诉总计"),
)


def _sharp(now: Number, before: Number) -> bool:
    a, b = Decimal(now), Decimal(before)
    return abs(a - b) >= 20 and (a >= 3 * b or b >= 3 * a)


def _e5(ctx: Context, out: Emitter) -> None:
    prev = _previous_ok(ctx, out)
    if prev is None:
        return
    for table, row, label in _E5_CELLS:
        now = ctx.report.table(table).value(row, "total")
        before = prev.table(table).value(row, "total")
        if now is None or before is None:
            continue  # blank cells are A1's findings
        if _sharp(now, before):
            out.add(
                Locator(3 if table == "t3" else 4, table, row, "total"),
                f"{label}由上年的{before}变为{now}，变化较大，请核实",
                expected=before,
                actual=now,
            )


RULES: Final[list[Rule]] = [
    Rule("E1", Severity.ERROR, "E", "表三“上年结转”应等于上一年度报告的“结转下年度继续办理”", _e1, True),
    Rule("E3", Severity.WARNING, "E", "第五部分照搬上年内容，或未说明上年问题的整改情况", _e3),
    Rule(
        "E4", Severity.ERROR, "E", "单位名称、标题年份、统计期限年份应与报告年度一致，不能沿用往年报告", _e4
    ),
    Rule("E5", Severity.NOTICE, "E", "表三、表四的总数与上年相比变化很大，请核实", _e5, True),
]
