"""The document as parts, and each table as a grid laid out like the national template.

Text, .docx and HTML writers all render these parts; only the medium differs.  A grid row is a
list of GCells with column and row spans, as in the printed template (merged header cells).
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.domain.formats import T3_COLUMNS, T4, T4_COLUMNS, RowDef, TableDef
from workflow.domain.model import Report, Table

T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_RESULTS = "三、本年度办理结果"
TABLE_WIDTH = {"t2": 4, "t3": 10, "t4": 15}


@dataclass(frozen=True, slots=True)
class GCell:
    text: str
    kind: str = "value"  # head | label | value | missing
    colspan: int = 1
    rowspan: int = 1


GRow = list[GCell]


@dataclass(frozen=True, slots=True)
class Part:
    kind: str  # title | para | heading | table
    text: str = ""
    table: str = ""
    grid: tuple[GRow, ...] = ()


def parts(report: Report) -> list[Part]:
    h = report.header
    out = [Part("title", h.title)] if h.title else []
    out += [Part("para", line) for line in _lines(report.preamble)]
    if h.period_text and h.period_text not in report.full_text:
        out.append(Part("para", h.period_text))  # keep the 统计期限 even when no text carries it
    for n in range(1, 7):
        section = report.sections.get(n)
        if section is not None:
            if section.title is not None:
                out.append(Part("heading", section.title))
            out += [Part("para", line) for line in _lines(section.text)]
        tid = {2: "t2", 3: "t3", 4: "t4"}.get(n)
        if tid and report.table(tid).present:
            if tid == "t3":
                out.append(Part("para", T3_NOTE))
            out.append(Part("table", table=tid, grid=tuple(grid(report, tid))))
    if h.signature:
        out.append(Part("para", h.signature))
    if h.report_date:
        d = h.report_date
        out.append(Part("para", f"{d.year}年{d.month}月{d.day}日"))
    return out


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def grid(report: Report, tid: str) -> list[GRow]:
    table = report.table(tid)
    spec = report.spec.table(tid)
    rows = {"t2": _t2, "t3": _t3, "t4": _t4}[tid](table, spec)
    # An extra row keeps one (blank) value cell so that it reads back as a row, not as text.
    rows += [[GCell(label, "label"), GCell("", "value", TABLE_WIDTH[tid] - 1)] for label in table.extra_rows]
    return rows


def _label(table: Table, row: RowDef) -> str:
    return table.labels.get(row.key, row.label)


def _values(table: Table, row: RowDef, width: int | None = None) -> GRow:
    cells = table.rows.get(row.key, {})
    out = [GCell(cells[c.key].raw) if c.key in cells else GCell("", "missing") for c in row.columns]
    if width is not None and len(out) < width:  # the last value spans what is left, as printed
        last = out[-1]
        out[-1] = GCell(last.text, last.kind, width - len(out) + 1)
    return out


def _t2(table: Table, spec: TableDef) -> list[GRow]:
    rows: list[GRow] = []
    groups: dict[str, list[RowDef]] = {}
    for row in spec.rows:
        groups.setdefault(row.group, []).append(row)
    for group, members in groups.items():
        present = [r for r in members if r.key in table.rows]
        if not present:
            continue
        heads = [GCell(c.label, "head") for c in members[0].columns]
        if len(heads) < 3:
            heads[-1] = GCell(heads[-1].text, "head", 4 - len(heads))
        rows.append([GCell(group, "head", 4)])
        rows.append([GCell("信息内容", "head"), *heads])
        rows += [[GCell(_label(table, r), "label"), *_values(table, r, 3)] for r in present]
    return rows


def _t3(table: Table, spec: TableDef) -> list[GRow]:
    legal = [GCell(c.label, "head") for c in T3_COLUMNS[1:6]]
    rows: list[GRow] = [
        [GCell("", "head", 3, 3), GCell("申请人情况", "head", 7)],
        [GCell("自然人", "head", 1, 2), GCell("法人或其他组织", "head", 5), GCell("总计", "head", 1, 2)],
        legal,
    ]
    for row in spec.rows:
        if row.key not in table.rows:
            continue
        label = GCell(_label(table, row), "label")
        if not row.group:
            head = [GCell(label.text, "label", 3)]
        elif row.group == _RESULTS:
            head = [GCell(_RESULTS, "label"), GCell(label.text, "label", 2)]
        else:
            head = [GCell(_RESULTS, "label"), GCell(row.group, "label"), label]
        rows.append(head + _values(table, row))
    return rows


def _t4(table: Table, spec: TableDef) -> list[GRow]:
    review, direct, after = (_label(table, T4.row(k)) for k in ("review", "direct", "after_review"))
    columns = [GCell(c.label, "head") for c in T4_COLUMNS]
    values: GRow = []
    for key in ("review", "direct", "after_review"):
        values += _values(table, T4.row(key))
    return [
        [GCell(review, "head", 5, 2), GCell("行政诉讼", "head", 10)],
        [GCell(direct, "head", 5), GCell(after, "head", 5)],
        columns * 3,
        values,
    ]


def layout_rows(rows: list[GRow], width: int) -> list[list[tuple[GCell, bool]]]:
    """Grid rows with spans laid out: (cell, is_origin) per grid position; covered positions
    repeat the covering cell with is_origin False."""
    pending: dict[int, tuple[GCell, int]] = {}
    out: list[list[tuple[GCell, bool]]] = []
    for row in rows:
        line: list[tuple[GCell, bool]] = []
        cells = iter(row)
        col = 0
        while col < width:
            if col in pending:
                cell, left = pending[col]
                line.append((cell, False))
                pending[col] = (cell, left - 1)
                if left - 1 <= 0:
                    del pending[col]
                col += 1
                continue
            nxt = next(cells, None)
            if nxt is None:
                break
            for k in range(nxt.colspan):
                line.append((nxt, k == 0))
                if nxt.rowspan > 1:
                    pending[col + k] = (nxt, nxt.rowspan - 1)
            col += nxt.colspan
        out.append(line)
    return out
