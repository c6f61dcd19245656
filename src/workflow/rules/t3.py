"""Family B of the rule catalog: 表三 arithmetic (shared/domain/RULES.md § B).

Arithmetic over a blank or missing cell is not assessable (A1 reports the cell), never taken as 0:
such rows/columns are listed in one skip per rule.
"""

from __future__ import annotations

import re
from decimal import Decimal
from operator import add, le
from typing import Final

from workflow.domain.formats import FORMATS, T3_COLUMNS, T3_LEGAL_PERSON_COLUMNS, FormatId
from workflow.domain.model import Number
from workflow.rules.cells import Grid, grid
from workflow.rules.engine import Context, Emitter, Locator, Rule, Severity, present_table, total
from workflow.rules.sums import B1_MESSAGE, B2_MESSAGE
from workflow.rules.textscan import scan

ROW_PARTS: Final = ("natural", *T3_LEGAL_PERSON_COLUMNS)  # 自然人 + L5 = 总计
COLUMNS: Final = tuple(c.key for c in T3_COLUMNS)
COLUMN_LABELS: Final = {c.key: c.label for c in T3_COLUMNS}
ROW_ORDER: Final = {f: tuple((r.key, r.label) for r in spec.table("t3").rows) for f, spec in FORMATS.items()}
RESULT_ROWS: Final = {f: spec.t3_result_rows() for f, spec in FORMATS.items()}


def _span(fmt: FormatId) -> tuple[int, int, int]:
    keys = FORMATS[fmt].table("t3").row_keys
    at = [keys.index(k) for k in RESULT_ROWS[fmt]]
    assert at == list(range(at[0], at[-1] + 1)), "result rows must be consecutive"
    return at[0], at[-1], keys.index("total")


RESULT_SPAN: Final = {f: _span(f) for f in FORMATS}  # (first result row, last result row, 总计 row)
FORWARD_LIMIT: Final = Decimal("0.3")  # B5: more than 30 % of new requests carried forward
_SENTENCE_END: Final = "。；;！？!?\n"


def sentence_at(text: str, start: int, end: int) -> str:
    """The sentence around text[start:end] (clauses are too short to tell what a claim is about)."""
    lo = max(text.rfind(ch, 0, start) for ch in _SENTENCE_END) + 1
    ends = [i for i in (text.find(ch, end) for ch in _SENTENCE_END) if i >= 0]
    return text[lo : min(ends) if ends else len(text)]


def _loc(row: str | None, column: str | None) -> Locator:
    return Locator(3, "t3", row, column)


def _grid(ctx: Context, out: Emitter) -> Grid | None:
    g = grid(ctx, "t3")
    if g is None:
        out.skip("表三缺失，无法核对")
    return g


def _skip_list(out: Emitter, what: str, names: list[str]) -> None:
    if names:
        out.skip(f"表三以下{what}有空白或缺失的单元格，未核对：{'、'.join(names)}")


# Column positions in a grid row (formats.T3_COLUMNS order): the six parts, then 总计.
_TOTAL: Final = COLUMNS.index("total")
assert COLUMNS[_TOTAL + 1 :] == () and len(ROW_PARTS) == _TOTAL


# ---------------------------------------------------------------- B1


def _rows_add_up(flat: list[int]) -> bool:
    """Every row's parts sum to its 总计."""
    width = len(COLUMNS)
    for start in range(0, len(flat), width):
        parts = 0
        for i in range(start, start + _TOTAL):
            parts += flat[i]
        if parts != flat[start + _TOTAL]:
            return False
    return True


def check_row_totals(ctx: Context, out: Emitter) -> None:
    g = _grid(ctx, out)
    if g is None:
        return
    ints = g.whole_numbers
    if ints is not None and _rows_add_up(ints):
        return
    unassessed: list[str] = []
    for key, label in ROW_ORDER[ctx.report.format]:
        vals = g.row(key)
        if vals is None or None in vals:
            unassessed.append(label)
            continue
        expected = total(vals[:_TOTAL])
        if expected != vals[_TOTAL]:
            out.add(
                _loc(key, "total"),
                B1_MESSAGE.format(label=label, expected=expected, actual=vals[_TOTAL]),
                expected=expected,
                actual=vals[_TOTAL],
            )
    _skip_list(out, "行", unassessed)


# ---------------------------------------------------------------- B2


def _columns_add_up(flat: list[int], fmt: FormatId) -> bool:
    """（七）总计 = the result rows, per column; the result rows are consecutive in both formats."""
    width = len(COLUMNS)
    first, last, total_at = RESULT_SPAN[fmt]
    for c in range(width):
        column = 0
        for r in range(first, last + 1):
            column += flat[r * width + c]
        if column != flat[total_at * width + c]:
            return False
    return True


def check_column_totals(ctx: Context, out: Emitter) -> None:
    g = _grid(ctx, out)
    if g is None:
        return
    fmt = ctx.report.format
    ints = g.whole_numbers
    if ints is not None and _columns_add_up(ints, fmt):
        return
    result_rows = [g.row(k) for k in RESULT_ROWS[fmt]]
    totals = g.row("total")
    unassessed: list[str] = []
    for i, col in enumerate(COLUMNS):
        parts = [None if r is None else r[i] for r in result_rows]
        actual = None if totals is None else totals[i]
        if actual is None or None in parts:
            unassessed.append(COLUMN_LABELS[col])
            continue
        expected = total(parts)
        if expected != actual:
            out.add(
                _loc("total", col),
                B2_MESSAGE.format(label=COLUMN_LABELS[col], expected=expected, actual=actual),
                expected=expected,
                actual=actual,
            )
    _skip_list(out, "列", unassessed)


# ---------------------------------------------------------------- B3


def _balance_rows(
    g: Grid, ctx: Context, out: Emitter, keys: tuple[str, ...]
) -> list[tuple[Number | None, ...]] | None:
    """The rows `keys` of the grid; None (and one skip naming them) when some are missing."""
    rows = [g.row(k) for k in keys]
    if None in rows:
        missing = [label for (k, label) in ROW_ORDER[ctx.report.format] if k in keys and g.row(k) is None]
        out.skip(f"表三缺少{'、'.join(f'“{m}”' for m in missing)}一行，未核对")
        return None
    return rows  # type: ignore[return-value]


def check_balance(ctx: Context, out: Emitter) -> None:
    g = _grid(ctx, out)
    if g is None:
        return
    rows = _balance_rows(g, ctx, out, ("new", "carried", "total", "forward"))
    if rows is None:
        return
    new, carried, done, forward = rows
    if g.clean and list(map(add, new, carried)) == list(map(add, done, forward)):  # type: ignore[arg-type]
        return
    unassessed: list[str] = []
    for col, n, c, d, f in zip(COLUMNS, new, carried, done, forward, strict=True):
        if n is None or c is None or d is None or f is None:
            unassessed.append(COLUMN_LABELS[col])
        elif n + c != d + f:
            out.add(
                _loc("forward", col),
                f"表三“{COLUMN_LABELS[col]}”列不符合勾稽关系：本年新收 {n} + 上年结转 {c} 应等于"
                f"办理结果总计 {d} + 结转下年度 {f}",
                expected=n + c - d,
                actual=f,
            )
    _skip_list(out, "列", unassessed)


# ---------------------------------------------------------------- B4


def check_forward_not_above_new(ctx: Context, out: Emitter) -> None:
    g = _grid(ctx, out)
    if g is None:
        return
    rows = _balance_rows(g, ctx, out, ("new", "forward"))
    if rows is None:
        return
    new, forward = rows
    if g.clean and all(map(le, forward, new)):  # type: ignore[arg-type]
        return
    unassessed: list[str] = []
    for col, n, f in zip(COLUMNS, new, forward, strict=True):
        if n is None or f is None:
            unassessed.append(COLUMN_LABELS[col])
        elif f > n:
            out.add(
                _loc("forward", col),
                f"表三“{COLUMN_LABELS[col]}”列：结转下年度 {f} 件多于本年新收 {n} 件，请核实是否把上年结转的申请再次结转",
                expected=n,
                actual=f,
            )
    _skip_list(out, "列", unassessed)


# ---------------------------------------------------------------- B5

# On the scan's normalised text: half-width digits and %, no spaces.
_ALL_DONE: Final = re.compile(
    r"全部(?:予以)?(?:办结|答复)|均已(?:办结|答复)|办结率(?:达到|达|为)?100(?:\.0+)?%"
)
_CLAIM_WORDS: Final = ("全部", "均已", "办结率")
_CASES: Final = re.compile(r"复议|诉讼|案件")


def check_forward_share(ctx: Context, out: Emitter) -> None:
    table = present_table(ctx, out, "t3")
    if table is None:
        return
    n, f = table.value("new", "total"), table.value("forward", "total")
    if n is None or f is None:
        out.skip("表三本年新收或结转下年度的总计未填写，未核对")
        return
    limit = n * FORWARD_LIMIT
    if n > 0 and f > limit:
        out.add(
            _loc("forward", "total"),
            f"结转下年度 {f} 件，占本年新收 {n} 件的 {f * 100 / n:.0f}%（超过 30%）：请核实并在报告中说明原因",
            expected=int(limit),
            actual=f,
        )
    if f > 0:
        _check_all_done_claim(ctx, out, f)


def _check_all_done_claim(ctx: Context, out: Emitter, forward: Number) -> None:
    if not any(w in ctx.report.section_text(n) for n in (1, 3) for w in _CLAIM_WORDS):
        return  # decided without a scan
    sc = scan(ctx)
    for number in (1, 3):
        text = sc.text(number)
        for m in _ALL_DONE.finditer(text):
            sentence = sentence_at(text, m.start(), m.end())
            if _CASES.search(sentence):
                continue  # about 复议/诉讼 cases, not requests
            out.add(
                Locator(number, "t3", "forward", "total"),
                f"正文称“{m.group(0)}”，但表三结转下年度继续办理 {forward} 件：请统一正文与表格",
                expected=0,
                actual=forward,
            )
            return


# ---------------------------------------------------------------- B6

_FEE_WORDS: Final = re.compile(r"收费通知|信息处理费|处理费")


def check_fee_notices(ctx: Context, out: Emitter) -> None:
    if ctx.report.format is not FormatId.F2021:
        return  # the 2019 format has no o2 row
    table = present_table(ctx, out, "t3")
    if table is None:
        return
    o2 = table.value("o2", "total")
    if o2 is None:
        out.skip("表三“逾期未按收费通知缴纳费用”行总计未填写，未核对")
        return
    if o2 > 0 and not _FEE_WORDS.search(ctx.report.section_text(6)):
        out.add(
            Locator(6, "t3", "o2", "total"),
            f"表三有 {o2} 件申请因逾期未缴纳费用不再处理，但第六部分未说明收费通知和信息处理费情况：请补充",
            expected="说明信息处理费",
            actual=o2,
        )


# ---------------------------------------------------------------- B7


def check_state_secret(ctx: Context, out: Emitter) -> None:
    table = present_table(ctx, out, "t3")
    if table is None:
        return
    d1 = table.value("d1", "total")
    if d1 is None:
        out.skip("表三“属于国家秘密”行总计未填写，未核对")
        return
    if d1 > 0:
        out.add(
            _loc("d1", "total"),
            f"有 {d1} 件申请以“属于国家秘密”为由不予公开：请审核人员确认定密依据",
            expected=0,
            actual=d1,
        )


RULES: Final[list[Rule]] = [
    Rule("B1", Severity.ERROR, "B", "表三每一行的总计应等于自然人与法人或其他组织各列之和", check_row_totals),
    Rule("B2", Severity.ERROR, "B", "表三每一列的（七）总计应等于各项办理结果之和", check_column_totals),
    Rule(
        "B3",
        Severity.ERROR,
        "B",
        "表三勾稽关系：本年新收 + 上年结转 = 办理结果总计 + 结转下年度继续办理",
        check_balance,
    ),
    Rule(
        "B4", Severity.WARNING, "B", "表三结转下年度的申请不应多于本年新收的申请", check_forward_not_above_new
    ),
    Rule(
        "B5",
        Severity.WARNING,
        "B",
        "结转下年度的申请比例偏高，或正文称全部办结但表三有结转",
        check_forward_share,
    ),
    Rule(
        "B6", Severity.WARNING, "B", "有申请因未缴费不再处理，第六部分应说明信息处理费情况", check_fee_notices
    ),
    Rule("B7", Severity.NOTICE, "B", "有申请以“属于国家秘密”为由不予公开，请确认依据", check_state_secret),
]
