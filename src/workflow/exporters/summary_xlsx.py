"""The district summary as an .xlsx workbook laid out like the national tables.

Sheets: 全区汇总 (表二, 表三, 表四 with the national labels, this year and last year), 按单位类型
(every cell per body type), 需关注的单位 (outliers).  Every sheet opens with who, which year, which
format and which unit.  Every string goes through exporters/safe.py (never a live formula).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from workflow.domain.formats import FORMATS
from workflow.domain.summary import OUTLIER_KIND_LABELS, Outlier, Summary, change_text, type_label
from workflow.exporters.safe import append

BOLD = Font(bold=True)


def _number(v: Decimal) -> int | float:
    return int(v) if v == v.to_integral_value() else float(v)


def _head(ws: object, title: str, jurisdiction: str, s: Summary) -> None:
    append(ws, [f"{jurisdiction}{s.year}年度政府信息公开工作年度报告汇总 · {title}"])
    append(
        ws,
        [f"单位：{jurisdiction}（{s.count} 个单位的已审核报告）", f"年度：{s.year}", f"格式：{s.spec.name}"],
    )
    append(ws, ["计量单位：件；表二“本年收费金额”为万元"])
    append(ws, [])
    ws["A1"].font = Font(bold=True, size=13)  # type: ignore[index]


def summary_workbook(
    jurisdiction: str, current: Summary, previous: Summary, outliers: Sequence[Outlier]
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "全区汇总"
    _head(ws, "全区汇总", jurisdiction, current)
    spec = FORMATS[current.format]
    for table in spec.tables:
        append(ws, [f"{table.name}"])
        ws.cell(ws.max_row, 1).font = BOLD
        if table.id == "t3":
            cols = list(table.rows[0].columns)
            append(ws, ["分组", "项目", *[c.label for c in cols]])
            for r in table.rows:
                append(ws, [r.group, r.label, *[_number(current.value("t3", r.key, c.key)) for c in cols]])
        elif table.id == "t4":
            cols = list(table.rows[0].columns)
            append(ws, ["分组", "项目", *[c.label for c in cols]])
            for r in table.rows:
                append(ws, [r.group, r.label, *[_number(current.value("t4", r.key, c.key)) for c in cols]])
        else:
            for r in table.rows:
                append(ws, [r.group, r.label, *[c.label for c in r.columns]])
                append(ws, ["", "", *[_number(current.value("t2", r.key, c.key)) for c in r.columns]])
        append(ws, [])
    append(ws, ["与上年比较（上年按本年格式汇总）"])
    ws.cell(ws.max_row, 1).font = BOLD
    append(ws, ["表", "项目", "栏目", f"{current.year}年", f"{previous.year}年", "变化"])
    for table in spec.tables:
        for r in table.rows:
            for c in r.columns:
                now_v = current.value(table.id, r.key, c.key)
                prev_v = previous.value(table.id, r.key, c.key) if previous.count else None
                append(
                    ws,
                    [
                        table.name,
                        r.label,
                        c.label,
                        _number(now_v),
                        "" if prev_v is None else _number(prev_v),
                        change_text(now_v, prev_v),
                    ],
                )
    ws.column_dimensions["B"].width = 48
    for col in "CDEFGHI":
        ws.column_dimensions[col].width = 14
    for row in ws.iter_rows(min_row=5):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")

    by_type = wb.create_sheet("按单位类型")
    _head(by_type, "按单位类型", jurisdiction, current)
    types = current.types
    append(
        by_type,
        ["表", "项目", "栏目", *[f"{type_label(t)}（{current.type_counts[t]}个）" for t in types], "合计"],
    )
    for table in spec.tables:
        for r in table.rows:
            for c in r.columns:
                values = [_number(current.value(table.id, r.key, c.key, t)) for t in types]
                append(
                    by_type,
                    [table.name, r.label, c.label, *values, _number(current.value(table.id, r.key, c.key))],
                )
    by_type.column_dimensions["B"].width = 48

    odd = wb.create_sheet("需关注的单位")
    _head(odd, "需关注的单位", jurisdiction, current)
    append(odd, ["单位", "单位类型", "情况", "说明"])
    for o in outliers:
        append(odd, [o.body_name, type_label(o.body_type), OUTLIER_KIND_LABELS[o.kind], o.reason])
    if not outliers:
        append(odd, ["没有发现数字或文字异常的单位"])
    odd.column_dimensions["A"].width = 30
    odd.column_dimensions["D"].width = 80

    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
