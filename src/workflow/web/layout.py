"""Table layouts like the national template: merged header cells computed from the format definitions.

Templates receive plain lists: each header row is a list of (text, rowspan, colspan); each body row
is its label cells (text, rowspan, colspan) followed by the (row key, column) pairs to show as cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.domain.formats import T3_COLUMNS, T4_COLUMNS, ColumnDef, RowDef, TableDef

T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_RESULTS = "三、本年度办理结果"


@dataclass
class Span:
    text: str
    rowspan: int = 1
    colspan: int = 1
    head: bool = True


@dataclass
class BodyRow:
    labels: list[Span]
    cells: list[tuple[str, ColumnDef]]  # (row key, column)
    colspan_last: int = 1  # widen the last cell when a group has fewer columns than the grid


@dataclass
class TableLayout:
    table: TableDef
    head: list[list[Span]] = field(default_factory=list)
    body: list[BodyRow | list[Span]] = field(default_factory=list)  # a list of Span is a header row inside


def layout(table: TableDef) -> TableLayout:
    if table.id == "t3":
        return _t3(table)
    if table.id == "t4":
        return _t4(table)
    return _t2(table)


def _t2(table: TableDef) -> TableLayout:
    width = max(len(r.columns) for r in table.rows)
    out = TableLayout(table)
    group = None
    for row in table.rows:
        if row.group != group:
            group = row.group
            out.body.append([Span(group, 1, width + 1)])
            heads = [Span("信息内容")] + [Span(c.label) for c in row.columns]
            heads[-1].colspan = width - len(row.columns) + 1
            out.body.append(heads)
        out.body.append(
            BodyRow([Span(row.label)], [(row.key, c) for c in row.columns], width - len(row.columns) + 1)
        )
    return out


def _t3(table: TableDef) -> TableLayout:
    legal = [Span(c.label) for c in T3_COLUMNS[1:-1]]
    out = TableLayout(
        table,
        head=[
            [Span(T3_NOTE, 3, 3), Span("申请人情况", 1, len(T3_COLUMNS))],
            [
                Span(T3_COLUMNS[0].label, 2),
                Span("法人或其他组织", 1, len(legal)),
                Span(T3_COLUMNS[-1].label, 2),
            ],
            legal,
        ],
    )
    results = [r for r in table.rows if r.group]
    groups: dict[str, list[RowDef]] = {}
    for r in results:
        if r.group != _RESULTS:
            groups.setdefault(r.group, []).append(r)
    for row in table.rows:
        labels: list[Span] = []
        if not row.group:
            labels.append(Span(row.label, 1, 3))
        else:
            if row is results[0]:
                labels.append(Span(_RESULTS, len(results)))
            if row.group == _RESULTS:
                labels.append(Span(row.label, 1, 2))
            else:
                members = groups[row.group]
                if row is members[0]:
                    labels.append(Span(row.group, len(members)))
                labels.append(Span(row.label))
        out.body.append(BodyRow(labels, [(row.key, c) for c in row.columns]))
    return out


def _t4(table: TableDef) -> TableLayout:
    n = len(T4_COLUMNS)
    out = TableLayout(
        table,
        head=[
            [Span("行政复议", 2, n), Span("行政诉讼", 1, 2 * n)],
            [Span("未经复议直接起诉", 1, n), Span("复议后起诉", 1, n)],
            [Span(c.label) for _ in table.rows for c in T4_COLUMNS],
        ],
    )
    cells = [(r.key, c) for r in table.rows for c in r.columns]
    out.body.append(BodyRow([], cells))
    return out
