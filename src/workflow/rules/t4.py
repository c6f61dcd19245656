"""Family C of the rule catalog: 表四 行政复议、行政诉讼 (shared/domain/RULES.md § C).

C2/C3/C4 read the text of sections 一 and 四, where reports state their cases
("共有行政诉讼案件1件、行政复议案件2件，均已结案").
"""

from __future__ import annotations

import re
from typing import Final

from workflow.domain.formats import T4, T4_COLUMN_KEYS
from workflow.domain.model import Number, Table
from workflow.rules.cells import grid
from workflow.rules.engine import Context, Emitter, Locator, Rule, Severity, present_table, total
from workflow.rules.sums import C1_MESSAGE
from workflow.rules.t3 import sentence_at
from workflow.rules.textscan import BREAKS, Found, Scan, find, scan

GROUPS: Final = tuple(r.key for r in T4.rows)  # review, direct, after_review
GROUP_LABELS: Final = {
    "review": "行政复议",
    "direct": "行政诉讼（未经复议直接起诉）",
    "after_review": "行政诉讼（复议后起诉）",
}
TEXT_SECTIONS: Final = (1, 4)


def _loc(row: str | None, column: str | None) -> Locator:
    return Locator(4, "t4", row, column)


# ---------------------------------------------------------------- C1


def _groups_add_up(flat: list[int]) -> bool:
    """Every group's four results sum to its 总计 (the last of its cells)."""
    width = len(T4_COLUMN_KEYS)
    for start in range(0, len(flat), width):
        results = 0
        for i in range(start, start + width - 1):
            results += flat[i]
        if results != flat[start + width - 1]:
            return False
    return True


def check_group_totals(ctx: Context, out: Emitter) -> None:
    g = grid(ctx, "t4")
    if g is None:
        out.skip("表四缺失，无法核对")
        return
    ints = g.whole_numbers
    if ints is not None and _groups_add_up(ints):
        return
    unassessed: list[str] = []
    for group in GROUPS:
        vals = g.row(group)
        if vals is None or None in vals:
            unassessed.append(GROUP_LABELS[group])
            continue
        expected = total(vals[:-1])
        actual = vals[-1]
        if expected != actual:
            out.add(
                _loc(group, "total"),
                C1_MESSAGE.format(label=GROUP_LABELS[group], expected=expected, actual=actual),
                expected=expected,
                actual=actual,
            )
    if unassessed:
        out.skip(f"表四以下项目有空白或缺失的单元格，未核对：{'、'.join(unassessed)}")


# ---------------------------------------------------------------- C2

# On the scan's clauses (split at ，、。 etc., digits half-width, no spaces).  "行政复议案件2件" /
# "行政复议2起"; not "复议后起诉", and not a joint count "行政复议和行政诉讼案件3件" / "复议、行政诉讼…".
_GAP: Final = rf"(?:(?!复议|诉讼)[^\d{BREAKS}]){{0,8}}?"
_REVIEW: Final = re.compile(
    rf"(?<!诉讼和行政)(?<!诉讼及行政)(?<!诉讼与行政)(?<!诉讼和)(?<!诉讼及)复议(?!后){_GAP}(\d+)(?:件|起)"
)
_LAWSUIT: Final = re.compile(
    rf"(?<!复议和行政)(?<!复议及行政)(?<!复议与行政)(?<!复议和)(?<!复议及)诉讼(?!法){_GAP}(\d+)(?:件|起)"
)
# "行政复议、行政诉讼案件共3件" is split at 、 into clauses: a sentence with a joint count is left out.
_JOINT_COUNT: Final = re.compile(r"(?:复议、(?:行政)?诉讼|诉讼、(?:行政)?复议)[^。；;\n\d]{0,10}\d+(?:件|起)")


def _count(sc: Scan, pattern: re.Pattern[str], year: int | None) -> int | None:
    values: list[int] = []
    for unit in ("件", "起"):
        values += find(sc, TEXT_SECTIONS, pattern, unit=unit, off_topic=_JOINT_COUNT, year=year).values
    return Found(tuple(values)).single


def _raw(ctx: Context) -> str:
    """Sections 一 and 四 as written: cheap `in` tests decide most reports before any scan."""
    return ctx.report.section_text(1) + ctx.report.section_text(4)


def check_text_counts(ctx: Context, out: Emitter) -> None:
    table = present_table(ctx, out, "t4")
    if table is None:
        return
    raw = _raw(ctx)
    if "复议" not in raw and "诉讼" not in raw:
        return
    sc = scan(ctx)
    review = _count(sc, _REVIEW, ctx.year)
    if review is not None:
        _compare(out, "review", "行政复议", review, table.value("review", "total"))
    lawsuits = _count(sc, _LAWSUIT, ctx.year)
    if lawsuits is not None:
        in_table = total((table.value("direct", "total"), table.value("after_review", "total")))
        _compare(out, "direct", "行政诉讼（直接起诉与复议后起诉之和）", lawsuits, in_table)


def _compare(out: Emitter, row: str, what: str, said: int, in_table: Number | None) -> None:
    if in_table is None:
        out.skip(f"表四{what}总计未填写，无法与正文核对")
    elif said != in_table:
        out.add(
            _loc(row, "total"),
            f"正文称{what} {said} 件，表四为 {in_table} 件：请统一正文与表格",
            expected=in_table,
            actual=said,
        )


# ---------------------------------------------------------------- C3

# Claims about how all cases ended.  "均已结案" says only that none is pending: cases that were
# corrected are closed too (pingtan_2022), so it is held against 尚未审结 only.
_ALL_CLOSED: Final = re.compile(r"均已(?:结案|审结)|全部(?:结案|审结)")
_CLAIM_WORDS: Final = ("结案", "审结", "维持", "败诉")
_CASE_WORDS: Final = re.compile(r"复议|诉讼|案件")
_ALL_UPHELD: Final = re.compile(
    r"均(?:获|被|予以|已)?维持|全部(?:获|被|予以)?维持|零败诉|无败诉|未(?:出现|发生)败诉"
)


def check_outcome_claims(ctx: Context, out: Emitter) -> None:
    table = present_table(ctx, out, "t4")
    if table is None:
        return
    raw = _raw(ctx)
    if not any(word in raw for word in _CLAIM_WORDS):
        return
    sc = scan(ctx)
    texts = tuple(sc.text(n) for n in TEXT_SECTIONS)
    closed = _claim(_ALL_CLOSED, texts)
    if closed:
        _held_against(table, out, closed, "pending", "尚未审结")
    upheld = _claim(_ALL_UPHELD, texts)
    if upheld:
        _held_against(table, out, upheld, "corrected", "结果纠正")


def _claim(pattern: re.Pattern[str], texts: tuple[str, ...]) -> str | None:
    for text in texts:
        for m in pattern.finditer(text):
            if _CASE_WORDS.search(sentence_at(text, m.start(), m.end())):
                return m.group(0)
    return None


def _held_against(table: Table, out: Emitter, claim: str, column: str, label: str) -> None:
    for group in GROUPS:
        v = table.value(group, column)
        if v is not None and v > 0:
            out.add(
                _loc(group, column),
                f"正文称“{claim}”，但表四{GROUP_LABELS[group]}有{label} {v} 件：请统一正文与表格",
                expected=0,
                actual=v,
            )


# ---------------------------------------------------------------- C4

_NONE_RECEIVED: Final = re.compile(
    r"未(?:收到|受理|接到)[^。；\n]{0,12}?申请|无依申请公开|没有收到[^。；\n]{0,12}?申请"
)


def check_cases_without_requests(ctx: Context, out: Emitter) -> None:
    table = present_table(ctx, out, "t4")
    if table is None:
        return
    cases = [(g, v) for g in GROUPS if (v := table.value(g, "total")) is not None and v > 0]
    if not cases:
        return
    received = _received(ctx)
    if received is None:
        out.skip("表三本年新收、上年结转未填写，无法核对表四的案件是否有对应申请")
        return
    if received == 0:
        group, n = cases[0]
        out.add(
            _loc(group, "total"),
            f"表四有{GROUP_LABELS[group]}案件 {n} 件，但表三本年新收和上年结转的申请均为 0："
            "请核实案件是否因本机关的政府信息公开申请引起，或表三是否漏填",
            expected=0,
            actual=n,
        )


def _received(ctx: Context) -> Number | None:
    """表三 new + carried; from total + forward when the new row is missing; 0 when the text says so."""
    t3 = ctx.report.table("t3")
    if t3.present:
        new, carried = t3.value("new", "total"), t3.value("carried", "total")
        if new is not None and carried is not None:
            return new + carried
        done, forward = t3.value("total", "total"), t3.value("forward", "total")
        if done is not None and forward is not None:
            return done + forward
    sc = scan(ctx)
    if any(_NONE_RECEIVED.search(sc.text(n)) for n in (1, 3)):
        return 0
    return None


RULES: Final[list[Rule]] = [
    Rule(
        "C1",
        Severity.ERROR,
        "C",
        "表四每一项的总计应等于结果维持、结果纠正、其他结果、尚未审结之和",
        check_group_totals,
    ),
    Rule("C2", Severity.ERROR, "C", "正文所述行政复议、行政诉讼案件数应与表四一致", check_text_counts),
    Rule("C3", Severity.WARNING, "C", "正文所述案件结果与表四不符", check_outcome_claims),
    Rule(
        "C4",
        Severity.WARNING,
        "C",
        "表四有行政复议或诉讼案件，但表三未收到政府信息公开申请",
        check_cases_without_requests,
    ),
]
