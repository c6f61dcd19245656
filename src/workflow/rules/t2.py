"""Family D of the rule catalog: 表二 主动公开 (shared/domain/RULES.md § D).

D1/D2/D6 speak of 现行有效件数, which only the 2021 format has; D5 is the 2019 format's own check.
"""

from __future__ import annotations

import re
from typing import Final

from workflow.domain.bodies import BodyType
from workflow.domain.formats import FormatId
from workflow.domain.model import Number, Table
from workflow.rules.engine import Context, Emitter, Locator, Rule, Severity, present_table
from workflow.rules.textscan import BREAKS, COMPARISON, find, scan

DOC_ROWS: Final = {"regulations": "规章", "normative": "行政规范性文件"}
COLUMN_LABELS: Final = {
    "issued": "本年制发件数",
    "repealed": "本年废止件数",
    "in_force": "现行有效件数",
    "made": "本年新制作数量",
    "published": "本年新公开数量",
    "total_public": "对外公开总数量",
}
# Bodies without rule-making power (立法法 art. 93): 规章 must be 0.  A 设区的市's departments do not
# make 规章 either, but may carry the city's — a warning there.
NO_REGULATIONS: Final = {
    BodyType.TOWNSHIP: Severity.ERROR,
    BodyType.STREET: Severity.ERROR,
    BodyType.COUNTY_GOVERNMENT: Severity.ERROR,
    BodyType.COUNTY_DEPARTMENT: Severity.ERROR,
    BodyType.CITY_DEPARTMENT: Severity.WARNING,
}
SMALL_BODIES: Final = (BodyType.TOWNSHIP, BodyType.STREET)


def _loc(row: str | None, column: str | None = None) -> Locator:
    return Locator(2, "t2", row, column)


def _docs(table: Table, row: str) -> tuple[Number, Number, Number] | None:
    issued, repealed, in_force = (table.value(row, c) for c in ("issued", "repealed", "in_force"))
    if issued is None or repealed is None or in_force is None:
        return None
    return issued, repealed, in_force


# ---------------------------------------------------------------- D1


def check_in_force_over_years(ctx: Context, out: Emitter) -> None:
    prev = ctx.previous
    if prev is None:  # the engine skips the rule first (needs_previous)
        return
    if ctx.report.format is not FormatId.F2021 or prev.format is not FormatId.F2021:
        out.skip("本年或上一年度报告不是2021年版格式，无法按现行有效件数核对")
        return
    table = present_table(ctx, out, "t2")
    if table is None:
        return
    prev_t2 = prev.table("t2")
    for row, name in DOC_ROWS.items():
        docs = _docs(table, row)
        before = prev_t2.value(row, "in_force")
        if docs is None or before is None:
            out.skip(f"表二{name}的件数（本年或上一年度）未填写，未核对")
            continue
        issued, repealed, in_force = docs
        expected = before + issued - repealed
        if in_force != expected:
            out.add(
                _loc(row, "in_force"),
                f"表二{name}：上年现行有效 {before} + 本年制发 {issued} − 本年废止 {repealed} = {expected}，"
                f"但本年现行有效填写 {in_force}：请核实",
                expected=expected,
                actual=in_force,
            )


# ---------------------------------------------------------------- D2


def check_in_force_plausible(ctx: Context, out: Emitter) -> None:
    if ctx.report.format is not FormatId.F2021:
        return  # no 现行有效件数 in the 2019 format
    table = present_table(ctx, out, "t2")
    if table is None:
        return
    for row, name in DOC_ROWS.items():
        docs = _docs(table, row)
        if docs is None:
            out.skip(f"表二{name}的件数未填写，未核对")
            continue
        issued, repealed, in_force = docs
        floor = max(issued - repealed, 0)
        if in_force < floor:
            out.add(
                _loc(row, "in_force"),
                f"表二{name}：现行有效 {in_force} 件少于本年制发减本年废止的 {floor} 件：请核实",
                expected=floor,
                actual=in_force,
            )


# ---------------------------------------------------------------- D3


def check_regulations_power(ctx: Context, out: Emitter) -> None:
    if _type_unknown(ctx, out, "规章制定权"):
        return
    severity = NO_REGULATIONS.get(ctx.report.header.body_type)  # type: ignore[call-overload]
    if severity is None:
        return  # a body that may make (or report) 规章
    table = present_table(ctx, out, "t2")
    if table is None:
        return
    cells = table.rows.get("regulations")
    if cells is None:
        out.skip("表二缺少规章一行，未核对")
        return
    for col, cell in cells.items():
        if cell.value is not None and cell.value != 0:
            out.add(
                _loc("regulations", col),
                f"本机关没有规章制定权，表二规章“{COLUMN_LABELS.get(col, col)}”应为 0，实际填写 {cell.raw}："
                "请核实是否把行政规范性文件或其他文件填入了规章",
                expected=0,
                actual=cell.value,
                severity=severity,
            )


# ---------------------------------------------------------------- D4


def _type_unknown(ctx: Context, out: Emitter, what: str) -> bool:
    """True (with the reason recorded) when the body's type could not be told: never a silent pass."""
    if ctx.report.header.body_type != BodyType.OTHER:
        return False
    name = ctx.report.header.body_name
    who = f"“{name}”" if name else "报告中的机关名称"
    out.skip(f"无法从{who}判断机关类型（乡镇、街道、县级部门……），未核对{what}")
    return True


def check_small_body_normative(ctx: Context, out: Emitter) -> None:
    if _type_unknown(ctx, out, "乡镇、街道的行政规范性文件"):
        return
    if ctx.report.header.body_type not in SMALL_BODIES:
        return
    table = present_table(ctx, out, "t2")
    if table is None:
        return
    col = "issued" if ctx.report.format is FormatId.F2021 else "made"
    issued = table.value("normative", col)
    if issued is None:
        out.skip("表二行政规范性文件本年制发件数未填写，未核对")
        return
    if issued > 0:
        out.add(
            _loc("normative", col),
            f"乡镇、街道本年制发行政规范性文件 {issued} 件：请确认这些确属行政规范性文件，而非一般工作文件",
            expected=0,
            actual=issued,
        )


# ---------------------------------------------------------------- D5


def check_2019_documents(ctx: Context, out: Emitter) -> None:
    if ctx.report.format is not FormatId.F2019:
        return  # the 2019 试行 format's own columns
    table = present_table(ctx, out, "t2")
    if table is None:
        return
    for row in ("regulations", "normative"):
        name = "规章" if row == "regulations" else "规范性文件"
        made, published, public = (table.value(row, c) for c in ("made", "published", "total_public"))
        if made is None or published is None or public is None:
            out.skip(f"表二{name}的件数未填写，未核对")
            continue
        if published != made:
            out.add(
                _loc(row, "published"),
                f"表二{name}：本年新公开 {published} 件与本年新制作 {made} 件不一致：请核实或说明",
                expected=made,
                actual=published,
            )
        if public < published:
            out.add(
                _loc(row, "total_public"),
                f"表二{name}：对外公开总数 {public} 件少于本年新公开 {published} 件：请核实",
                expected=published,
                actual=public,
            )


# ---------------------------------------------------------------- D6

# On the scan's clauses (split at ，、。 etc., digits half-width, no spaces).
_W: Final = rf"[^\d{BREAKS}]"
# "制发行政规范性文件88件" / "本年度制发的规范性文件88件" / "印发行政规范性文件12件".
_ISSUED: Final = re.compile(rf"(?:制发|印发|出台){_W}{{0,8}}?规范性文件{_W}{{0,4}}?(\d+)件")
# "现行有效行政规范性文件698件" / "行政规范性文件现行有效698件".
_IN_FORCE: Final = re.compile(rf"现行有效的?(?:行政)?规范性文件{_W}{{0,4}}?(\d+)件")
_IN_FORCE_AFTER: Final = re.compile(rf"规范性文件{_W}{{0,6}}?现行有效{_W}{{0,3}}?(\d+)件")
# Clauses that mix 规章 into the count, count another act on documents, or compare with last year.
_MIXED: Final = re.compile(rf"规章|清理|审查|备案|{COMPARISON.pattern}")


def check_text_documents(ctx: Context, out: Emitter) -> None:
    if ctx.report.format is not FormatId.F2021:
        return
    if "规范性文件" not in ctx.report.section_text(1) and "规范性文件" not in ctx.report.section_text(2):
        return  # decided without a scan: most reports never mention them in the text
    sc = scan(ctx)
    issued = find(sc, (1, 2), _ISSUED, exclude=_MIXED, year=ctx.year).single
    in_force = find(sc, (1, 2), _IN_FORCE, _IN_FORCE_AFTER, exclude=_MIXED, year=ctx.year).single
    if issued is None and in_force is None:
        return
    table = present_table(ctx, out, "t2")
    if table is None:
        return
    for said, col in ((issued, "issued"), (in_force, "in_force")):
        if said is None:
            continue
        value = table.value("normative", col)
        regulations = table.value("regulations", col)
        if value is None:
            out.skip(f"表二行政规范性文件{COLUMN_LABELS[col]}未填写，无法与正文核对")
        elif said != value and (regulations is None or said != value + regulations):
            # Text may count 规章 and 行政规范性文件 together (both are 第二十条第（一）项): either reading
            # the format allows is accepted; only a figure that fits neither contradicts the table.
            out.add(
                _loc("normative", col),
                f"正文称行政规范性文件{COLUMN_LABELS[col][:-2]} {said} 件，表二为 {value} 件：请统一正文与表格",
                expected=value,
                actual=said,
            )


RULES: Final[list[Rule]] = [
    Rule(
        "D1",
        Severity.WARNING,
        "D",
        "表二现行有效件数应等于上年现行有效加本年制发减本年废止",
        check_in_force_over_years,
        needs_previous=True,
    ),
    Rule("D2", Severity.WARNING, "D", "表二现行有效件数不应少于本年制发减本年废止", check_in_force_plausible),
    Rule("D3", Severity.ERROR, "D", "没有规章制定权的机关，表二规章应为 0", check_regulations_power),
    Rule(
        "D4",
        Severity.WARNING,
        "D",
        "乡镇、街道填报了本年制发行政规范性文件，请确认",
        check_small_body_normative,
    ),
    Rule(
        "D5",
        Severity.WARNING,
        "D",
        "2019年版表二：本年新公开数量、对外公开总数量与新制作数量不符",
        check_2019_documents,
    ),
    Rule("D6", Severity.ERROR, "D", "正文所述行政规范性文件件数应与表二一致", check_text_documents),
]
