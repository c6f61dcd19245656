"""The national table layouts as grids of cells, ready for a template to print.

The Word template merges header cells (表三's 申请人情况 over 自然人 / 法人或其他组织 / 总计, 表四's
行政复议 / 行政诉讼 over 未经复议直接起诉 / 复议后起诉, 表二's 第二十条第（X）项 groups).  Working those spans
out here, in plain Python, keeps the templates dumb and lets every renderer (HTML, PDF) share them.
Data cells carry their row and column keys so a reader (or a test) can map them back to the model.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.domain.formats import T3_COLUMNS, T4, TableDef
from workflow.domain.model import Report, Table

T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
_T3_RESULTS = "三、本年度办理结果"
_T3_LEGAL_PERSONS = "法人或其他组织"


@dataclass(frozen=True, slots=True)
class GridCell:
    text: str
    rowspan: int = 1
    colspan: int = 1
    head: bool = False  # a header/label cell (th) rather than a number
    row: str = ""  # model row key, data cells only
    col: str = ""  # model column key, data cells only
    kind: str = ""  # label | group | number | note


@dataclass(frozen=True, slots=True)
class Grid:
    table_id: str
    name: str
    head: list[list[GridCell]]
    body: list[list[GridCell]]
    columns: int
    widths: tuple[float, ...] = ()  # per column, in percent: lets the PDF use a fixed table layout
    # Where the body's groups start (indices into body): rows a page must not split, printed as one
    # <tbody> each (表二's 第二十条第（X）项 with its column headers, 表三's 三、本年度办理结果 block).
    groups: tuple[int, ...] = (0,)

    @property
    def col_widths(self) -> tuple[float, ...]:
        return self.widths or tuple(100 / self.columns for _ in range(self.columns))

    @property
    def body_groups(self) -> list[list[list[GridCell]]]:
        bounds = [*self.groups, len(self.body)]
        return [self.body[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if b > a]


def grids(report: Report) -> list[Grid]:
    """表二, 表三, 表四 of the report's format, in order."""
    builders = {"t2": _t2, "t3": _t3, "t4": _t4}
    return [builders[t.id](t, report.table(t.id)) for t in report.spec.tables]


def _value(table: Table, row: str, col: str) -> GridCell:
    cell = table.cell(row, col)
    return GridCell(cell.raw.strip() if cell else "", row=row, col=col, kind="number")


# ---------------------------------------------------------------- 表二
def _t2(spec: TableDef, table: Table) -> Grid:
    width = 1 + max(len(r.columns) for r in spec.rows)
    body: list[list[GridCell]] = []
    starts: list[int] = []
    group = None
    for row in spec.rows:
        if row.group != group:
            group = row.group
            starts.append(len(body))
            body.append([GridCell(group, colspan=width, head=True, kind="group")])
            body.append([GridCell("信息内容", head=True), *_stretch(width, [c.label for c in row.columns])])
        cells = [_value(table, row.key, c.key) for c in row.columns]
        body.append([GridCell(row.label, head=True, kind="label"), *_stretch_cells(width, cells)])
    widths = (31.0, *(69 / (width - 1) for _ in range(width - 1)))
    return Grid(spec.id, spec.name, [], body, width, widths, tuple(starts) or (0,))


def _stretch(width: int, labels: list[str]) -> list[GridCell]:
    """Column headers for a group with fewer columns than the table: the last one takes the rest."""
    spare = width - 1 - len(labels)
    return [
        GridCell(label, head=True, colspan=1 + (spare if i == len(labels) - 1 else 0))
        for i, label in enumerate(labels)
    ]


def _stretch_cells(width: int, cells: list[GridCell]) -> list[GridCell]:
    spare = width - 1 - len(cells)
    if spare and cells:
        last = cells[-1]
        cells = [
            *cells[:-1],
            GridCell(last.text, colspan=1 + spare, row=last.row, col=last.col, kind="number"),
        ]
    return cells


# ---------------------------------------------------------------- 表三
def _t3(spec: TableDef, table: Table) -> Grid:
    legal = [c for c in T3_COLUMNS if c.key not in ("natural", "total")]
    head = [
        [
            GridCell(T3_NOTE, rowspan=3, colspan=3, head=True, kind="note"),
            GridCell("申请人情况", colspan=7, head=True),
        ],
        [
            GridCell("自然人", rowspan=2, head=True),
            GridCell(_T3_LEGAL_PERSONS, colspan=len(legal), head=True),
            GridCell("总计", rowspan=2, head=True),
        ],
        [GridCell(c.label, head=True) for c in legal],
    ]
    results = [r for r in spec.rows if r.group == _T3_RESULTS or r.group.startswith("（")]
    body: list[list[GridCell]] = []
    starts = [0]
    seen_groups: set[str] = set()
    for row in spec.rows:
        labels: list[GridCell] = []
        if results and row is results[0]:  # the block and the one row after it stay together
            starts.append(len(body))
        if row in results:
            if row is results[0]:
                labels.append(GridCell(_T3_RESULTS, rowspan=len(results), head=True, kind="group"))
            if row.group == _T3_RESULTS:
                labels.append(GridCell(row.label, colspan=2, head=True, kind="label"))
            else:
                if row.group not in seen_groups:
                    seen_groups.add(row.group)
                    size = sum(1 for r in results if r.group == row.group)
                    labels.append(GridCell(row.group, rowspan=size, head=True, kind="group"))
                labels.append(GridCell(row.label, head=True, kind="label"))
        else:
            labels.append(GridCell(row.label, colspan=3, head=True, kind="label"))
        body.append(labels + [_value(table, row.key, c.key) for c in row.columns])
    numbers = len(T3_COLUMNS)
    widths = (7.0, 8.0, 27.0, *(58 / numbers for _ in range(numbers)))
    return Grid(spec.id, spec.name, head, body, 3 + numbers, widths, tuple(sorted(set(starts))))


# ---------------------------------------------------------------- 表四
def _t4(spec: TableDef, table: Table) -> Grid:
    cols = T4.rows[0].columns
    n = len(cols)
    litigation = [r for r in spec.rows if r.group]
    review = [r for r in spec.rows if not r.group]
    head = [
        [GridCell(r.label, colspan=n, head=True) for r in review]
        + [GridCell(litigation[0].group, colspan=n * len(litigation), head=True)],
        [GridCell(c.label, rowspan=2, head=True) for c in cols]
        + [GridCell(r.label, colspan=n, head=True) for r in litigation],
        [GridCell(c.label, head=True) for _ in litigation for c in cols],
    ]
    body = [[_value(table, r.key, c.key) for r in (*review, *litigation) for c in r.columns]]
    return Grid(spec.id, spec.name, head, body, n * len(spec.rows))
