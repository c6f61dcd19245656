"""Switching a report between the 2019 试行 and the 2021 national formats (FORMAT.md).

Values that have a counterpart in the other format are carried over; the others are listed, so the
clerk sees what the switch would drop before confirming it.  Counterparts:
- 表三: every row but （六）其他处理; 2021's o1–o3 are summed into 2019's single row o; 2019's o has no
  2021 row (its requests cannot be split among o1–o3), so it is listed.
- 表四: identical in both formats.
- 表二: 规章 / 行政规范性文件 本年制发件数 ↔ 本年新制作数量; 行政许可 / 行政处罚 / 行政强制 本年处理决定数量 ↔
  处理决定数量.  The rest (废止件数, 现行有效件数, 收费金额; 2019's 新公开数量, 对外公开总数量, 上一年项目数量,
  本年增/减, 其他对外管理服务事项, 政府集中采购) has no counterpart.
Header, preamble and sections are the same in both formats and always kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from workflow.domain.formats import FORMATS, FormatId, TableDef
from workflow.domain.model import Cell, Report, Table

# (table, row, column) in the source format -> the same in the target format.
_T2_21_TO_19: dict[tuple[str, str], tuple[str, str]] = {
    ("regulations", "issued"): ("regulations", "made"),
    ("normative", "issued"): ("normative", "made"),
    ("licensing", "decisions"): ("licensing", "decisions"),
    ("penalty", "decisions"): ("penalty", "decisions"),
    ("enforcement", "decisions"): ("enforcement", "decisions"),
}
_T2_19_TO_21 = {v: k for k, v in _T2_21_TO_19.items()}
_O_2021 = ("o1", "o2", "o3")


@dataclass(frozen=True, slots=True)
class Lost:
    """A filled cell with no counterpart in the target format."""

    table: str  # 表二 …
    row: str  # the row's label
    column: str  # the column's label
    raw: str  # what was written

    @property
    def where(self) -> str:
        return f"{self.table} {self.row} {self.column}"


def _label(spec: TableDef, row: str, col: str) -> tuple[str, str]:
    r = spec.row(row)
    for c in r.columns:
        if c.key == col:
            return r.label, c.label
    return r.label, col


def _filled(cell: Cell | None) -> bool:
    return cell is not None and cell.raw.strip() != ""


def switch_format(report: Report, target: FormatId) -> tuple[Report, list[Lost]]:
    """A copy of `report` in `target`'s layout, and the filled cells that could not be carried."""
    source = report.format
    if source is target:
        return Report.from_dict(report.to_dict()), []
    out = Report.from_dict(report.to_dict())
    out.format = target
    out.format_markers = []
    src_spec, dst_spec = FORMATS[source], FORMATS[target]
    lost: list[Lost] = []
    tables: dict[str, Table] = {}
    for dst_table in dst_spec.tables:
        src_table = report.tables.get(dst_table.id)
        new = Table(present=src_table.present if src_table else True)
        tables[dst_table.id] = new
        if src_table is None:
            continue
        src_def = src_spec.table(dst_table.id)
        dst_cells = {(r.key, c.key) for r in dst_table.rows for c in r.columns}
        mapping: dict[tuple[str, str], tuple[str, str]] = {}
        if dst_table.id == "t2":
            mapping = _T2_21_TO_19 if target is FormatId.F2019 else _T2_19_TO_21
        for row_key, cells in src_table.rows.items():
            for col_key, cell in cells.items():
                if not _filled(cell):
                    continue
                if dst_table.id == "t2":
                    to = mapping.get((row_key, col_key))
                elif dst_table.id == "t3" and row_key in _O_2021 and target is FormatId.F2019:
                    continue  # summed into o below
                else:
                    to = (row_key, col_key) if (row_key, col_key) in dst_cells else None
                if to is None:
                    r_label, c_label = _safe_label(src_def, row_key, col_key)
                    lost.append(Lost(src_def.name, r_label, c_label, cell.raw))
                    continue
                new.rows.setdefault(to[0], {})[to[1]] = Cell(cell.raw, cell.value)
                if row_key in src_table.labels:
                    new.labels[to[0]] = dst_table.row(to[0]).label
        if dst_table.id == "t3" and target is FormatId.F2019:
            lost += _sum_other_rows(src_table, new, src_def)
    out.tables = tables
    return out, lost


def _safe_label(spec: TableDef, row: str, col: str) -> tuple[str, str]:
    try:
        return _label(spec, row, col)
    except KeyError:
        return row, col


def _sum_other_rows(src: Table, dst: Table, src_def: TableDef) -> list[Lost]:
    """2021's （六） rows o1–o3 into 2019's one row o, column by column."""
    lost: list[Lost] = []
    columns = {c for r in _O_2021 for c in src.rows.get(r, {})}
    for col in sorted(columns):
        parts = [src.rows.get(r, {}).get(col) for r in _O_2021]
        filled = [p for p in parts if _filled(p)]
        if not filled:
            continue
        if all(p is not None and p.value is not None for p in filled):
            total = sum((Decimal(str(p.value)) for p in filled if p is not None), Decimal(0))
            dst.rows.setdefault("o", {})[col] = Cell.of(
                str(int(total)) if total == int(total) else str(total)
            )
        else:  # text that is not a number cannot be added up: listed rather than guessed
            for r, p in zip(_O_2021, parts, strict=True):
                if _filled(p) and p is not None:
                    r_label, c_label = _safe_label(src_def, r, col)
                    lost.append(Lost(src_def.name, r_label, c_label, p.raw))
    return lost
