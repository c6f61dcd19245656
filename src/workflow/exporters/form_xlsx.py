"""The report's tables as an .xlsx laid out like the national template, to fill offline.

One sheet per table (表二, 表三, 表四) with the national labels (locked: the sheets are protected), the
input cells unlocked, and the sums as formulas (表三's 总计 column and （七）总计 row, 表四's 总计 of each
group).  A very hidden sheet records which cell is which (`META_SHEET`): the xlsx importer
(importers/xlsx.py) reads the values back through it, so the upload needs no guessing.

Every string goes through exporters/safe.py (never a formula); the only formulas are our own sums.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

from workflow.domain.formats import FORMATS, SECTION_TITLES, FormatId, TableDef
from workflow.domain.model import Report
from workflow.exporters.safe import put

META_SHEET = "_workflow"
MARKER = "workflow-report-tables/1"
_INPUT_FILL = PatternFill("solid", fgColor="FFF7E0")
_BOLD = Font(bold=True)


@dataclass(slots=True)
class Slot:
    key: str  # t3.new.natural
    sheet: str
    coord: str
    sums: list[str] = field(default_factory=list)  # coords summed, for a formula cell


def _label(ws, row: int, col: int, text: str, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    c = put(ws, row, col, text)
    c.alignment = Alignment(wrap_text=True, vertical="center")
    if bold:
        c.font = _BOLD


def _input(ws, row: int, col: int, raw: str, value: object) -> None:  # type: ignore[no-untyped-def]
    c = put(ws, row, col, value if value is not None else (raw or None))
    c.protection = Protection(locked=False)
    c.fill = _INPUT_FILL


def _formula(ws, row: int, col: int, coords: list[str]) -> None:  # type: ignore[no-untyped-def]
    ws.cell(row=row, column=col, value="=SUM(" + ",".join(coords) + ")").font = _BOLD


def _t2(wb: Workbook, spec: TableDef, report: Report, slots: list[Slot]) -> None:
    ws = wb.create_sheet(spec.name)
    _label(ws, 1, 1, SECTION_TITLES[spec.section], bold=True)
    r = 2
    group = None
    for row in spec.rows:
        if row.group != group:
            group = row.group
            r += 1
            _label(ws, r, 1, row.group, bold=True)
            r += 1
            _label(ws, r, 1, "信息内容", bold=True)
            for i, col in enumerate(row.columns):
                _label(ws, r, 2 + i, col.label, bold=True)
        r += 1
        _label(ws, r, 1, row.label)
        table = report.table(spec.id)
        for i, col in enumerate(row.columns):
            cell = table.cell(row.key, col.key)
            _input(ws, r, 2 + i, cell.raw if cell else "", cell.value if cell else None)
            slots.append(Slot(f"{spec.id}.{row.key}.{col.key}", ws.title, f"{get_column_letter(2 + i)}{r}"))
    ws.column_dimensions["A"].width = 28
    for i in range(3):
        ws.column_dimensions[get_column_letter(2 + i)].width = 18
    ws.protection.sheet = True


def _t3(wb: Workbook, spec: TableDef, report: Report, fmt: FormatId, slots: list[Slot]) -> None:
    ws = wb.create_sheet(spec.name)
    _label(ws, 1, 1, SECTION_TITLES[spec.section], bold=True)
    _label(ws, 2, 1, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", bold=True)
    ws.merge_cells(start_row=2, start_column=1, end_row=4, end_column=2)
    _label(ws, 2, 3, "申请人情况", bold=True)
    ws.merge_cells(start_row=2, start_column=3, end_row=2, end_column=9)
    _label(ws, 3, 3, "自然人", bold=True)
    _label(ws, 3, 4, "法人或其他组织", bold=True)
    ws.merge_cells(start_row=3, start_column=4, end_row=3, end_column=8)
    _label(ws, 3, 9, "总计", bold=True)
    columns = spec.rows[0].columns
    for i, col in enumerate(columns):
        if 0 < i < len(columns) - 1:
            _label(ws, 4, 3 + i, col.label, bold=True)
    table = report.table(spec.id)
    rows_at: dict[str, int] = {}
    r = 4
    for row in spec.rows:
        r += 1
        rows_at[row.key] = r
        _label(ws, r, 1, row.group)
        _label(ws, r, 2, row.label)
    result_rows = FORMATS[fmt].t3_result_rows()
    for row in spec.rows:
        r = rows_at[row.key]
        for i, col in enumerate(columns):
            coord = f"{get_column_letter(3 + i)}{r}"
            key = f"{spec.id}.{row.key}.{col.key}"
            if row.key == "total":
                sums = [f"{get_column_letter(3 + i)}{rows_at[k]}" for k in result_rows]
            elif col.key == "total":
                sums = [f"{get_column_letter(3 + j)}{r}" for j in range(len(columns) - 1)]
            else:
                cell = table.cell(row.key, col.key)
                _input(ws, r, 3 + i, cell.raw if cell else "", cell.value if cell else None)
                slots.append(Slot(key, ws.title, coord))
                continue
            _formula(ws, r, 3 + i, sums)
            slots.append(Slot(key, ws.title, coord, sums))
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 44
    ws.protection.sheet = True


def _t4(wb: Workbook, spec: TableDef, report: Report, slots: list[Slot]) -> None:
    ws = wb.create_sheet(spec.name)
    _label(ws, 1, 1, SECTION_TITLES[spec.section], bold=True)
    _label(ws, 2, 1, "行政复议", bold=True)
    ws.merge_cells(start_row=2, start_column=1, end_row=3, end_column=5)
    _label(ws, 2, 6, "行政诉讼", bold=True)
    ws.merge_cells(start_row=2, start_column=6, end_row=2, end_column=15)
    table = report.table(spec.id)
    for g, row in enumerate(spec.rows):
        first = 1 + 5 * g
        if g:
            _label(ws, 3, first, row.label, bold=True)
            ws.merge_cells(start_row=3, start_column=first, end_row=3, end_column=first + 4)
        for i, col in enumerate(row.columns):
            _label(ws, 4, first + i, col.label, bold=True)
            coord = f"{get_column_letter(first + i)}5"
            key = f"{spec.id}.{row.key}.{col.key}"
            if col.key == "total":
                sums = [f"{get_column_letter(first + j)}5" for j in range(4)]
                _formula(ws, 5, first + i, sums)
                slots.append(Slot(key, ws.title, coord, sums))
            else:
                cell = table.cell(row.key, col.key)
                _input(ws, 5, first + i, cell.raw if cell else "", cell.value if cell else None)
                slots.append(Slot(key, ws.title, coord))
    ws.protection.sheet = True


def tables_xlsx(report: Report) -> bytes:
    """The workbook's bytes: the report's tables in its format, ready to fill."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "说明"
    spec = FORMATS[report.format]
    _label(
        first,
        1,
        1,
        f"{report.header.body_name} {report.header.year or ''} 年度政府信息公开工作年度报告 表格",
        True,
    )
    _label(first, 2, 1, f"格式：{spec.name}")
    _label(
        first,
        3,
        1,
        "请只在浅黄色的格子里填写数字；合计由公式自动计算。填好后在填报页面“从文件导入”上传本文件。",
    )
    first.column_dimensions["A"].width = 100
    first.protection.sheet = True
    slots: list[Slot] = []
    for t in spec.tables:
        if t.id == "t2":
            _t2(wb, t, report, slots)
        elif t.id == "t3":
            _t3(wb, t, report, report.format, slots)
        else:
            _t4(wb, t, report, slots)
    meta = wb.create_sheet(META_SHEET)
    put(meta, 1, 1, MARKER)
    put(meta, 1, 2, report.format.value)
    for i, s in enumerate(slots, start=2):
        put(meta, i, 1, s.key)
        put(meta, i, 2, s.sheet)
        put(meta, i, 3, s.coord)
        put(meta, i, 4, ",".join(s.sums))
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
