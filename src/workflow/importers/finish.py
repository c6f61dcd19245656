"""From what the walk found to the Report: header facts, format, cells mapped to columns."""

from __future__ import annotations

import re
from datetime import date

from workflow.domain.bodies import infer_body_type
from workflow.domain.formats import FORMATS, TABLE_NAMES, ColumnDef, FormatId, format_for_year
from workflow.domain.model import Cell, Header, Report, Section, Table

from . import header as H
from .grid import fit
from .types import ImportNote, ImportResult, RawRow, Walk

_DIGITS_ONLY = re.compile(r"^[0-9\s]+$")
_COLUMNS: dict[tuple[FormatId, str, str], tuple[ColumnDef, ...]] = {
    (f.id, t.id, r.key): r.columns for f in FORMATS.values() for t in f.tables for r in t.rows
}
_CELLS: dict[str, Cell] = {}  # Cell is immutable and the same texts recur: parse each once


def _cell(raw: str) -> Cell:
    cell = _CELLS.get(raw)
    if cell is None:
        if len(_CELLS) > 50_000:
            _CELLS.clear()
        cell = _CELLS[raw] = Cell.of(raw)
    return cell


def finish(w: Walk, *, body_type: str | None, year: int | None, body_name: str | None) -> ImportResult:
    notes = list(w.notes)
    signature, report_date = _closing(w, notes)
    preamble = "\n".join(w.preamble)
    title = w.title or ""
    if not title:
        notes.append(ImportNote("标题", "没有找到报告标题"))
    body = body_name or H.unit_name(preamble) or H.body_from_title(title) or signature
    period_text, start, end = H.find_period(preamble)
    if not period_text:
        period_text, start, end = H.find_period(_body_text(w))
    year = year or _year(w, title, start, end, report_date)
    if year is None:
        notes.append(ImportNote("标题", "无法确定报告年度：标题、统计期限和落款日期都没有给出年份"))
    fmt = _format(w, year)
    report = Report(
        header=Header(
            body_name=body,
            body_type=body_type or infer_body_type(body).value,
            year=year,
            title=title,
            period_text=period_text,
            period_start=start,
            period_end=end,
            report_date=report_date,
            signature=signature,
        ),
        format=fmt,
        format_markers=list(w.markers19) if fmt is FormatId.F2019 else [],
        preamble=preamble,
        sections={n: Section(t, "\n".join(w.lines.get(n, []))) for n, t in sorted(w.titles.items())},
        tables=_tables(w, fmt, notes),
        aggregates_bodies=H.aggregates(preamble),
    )
    return ImportResult(report, notes)


def _body_text(w: Walk) -> str:
    return "\n".join(line for n in sorted(w.lines) for line in w.lines[n])


def _closing(w: Walk, notes: list[ImportNote]) -> tuple[str, date | None]:
    """Take the 落款 (body name and date) off the end of the last section."""
    lines = w.lines[max(w.lines)] if w.lines else w.preamble
    signature, when, found_date = "", None, False
    for _ in range(2):
        if not lines:
            break
        parsed = H.parse_date_line(lines[-1]) if not found_date else False
        if parsed is not False:
            found_date, when = True, parsed if isinstance(parsed, date) else None
            if when is None:
                notes.append(ImportNote("落款", f"落款日期“{lines[-1]}”不是有效日期"))
            lines.pop()
        elif not signature and H.looks_like_signature(lines[-1]):
            signature = lines.pop()
        else:
            break
    return signature, when


def _year(w: Walk, title: str, start: date | None, end: date | None, when: date | None) -> int | None:
    if end is not None:
        return end.year
    if start is not None:
        return start.year
    found = H.year_in_title(title) or H.year_as_of(_body_text(w))
    if found:
        return found
    return when.year - 1 if when else None


def _format(w: Walk, year: int | None) -> FormatId:
    if w.markers19 and len(w.markers19) > w.markers21:
        return FormatId.F2019
    if w.markers21:
        return FormatId.F2021
    return format_for_year(year) if year else FormatId.F2021


def _tables(w: Walk, fmt: FormatId, notes: list[ImportNote]) -> dict[str, Table]:
    tables = {tid: Table(present=tid in w.seen, extra_rows=list(w.extra.get(tid, []))) for tid in TABLE_NAMES}
    for raw in w.rows:
        table = tables[raw.table]
        columns = _COLUMNS.get((fmt, raw.table, raw.key))
        if columns is None:
            table.extra_rows.append(raw.label)
            notes.append(ImportNote(raw.where, f"“{raw.label}”不属于{FORMATS[fmt].name}，已列为多余行"))
            continue
        if raw.key in table.rows:
            notes.append(ImportNote(raw.where, f"“{raw.label}”重复出现，只取第一次"))
            continue
        cells = _cells(raw, len(columns), notes)
        if cells is None:
            continue
        table.rows[raw.key] = _row(columns, cells)
        table.labels[raw.key] = raw.label
    return tables


_ROWS: dict[tuple[object, ...], dict[str, Cell]] = {}  # whole rows recur too ("0" × 7)


def _row(columns: tuple[ColumnDef, ...], cells: list[str]) -> dict[str, Cell]:
    key = (id(columns), *cells)  # the column tuples are module constants: id is stable and cheap
    row = _ROWS.get(key)
    if row is None:
        if len(_ROWS) > 20_000:
            _ROWS.clear()
        row = _ROWS[key] = {col.key: _cell(text) for col, text in zip(columns, cells, strict=False)}
    return dict(row)  # a copy: a table's rows are the caller's to change


def _cells(raw: RawRow, width: int, notes: list[ImportNote]) -> list[str] | None:
    cells = fit(raw.cells, width)
    if len(cells) == width:
        return cells
    filled = [c for c in cells if c]
    if width > 1 and len(filled) == 1 and len(cells) < width:
        parts = filled[0].split()
        if len(parts) == width:
            return parts  # numbers separated by spaces in one cell: separated all the same
        if _DIGITS_ONLY.match(filled[0]) and len(filled[0].replace(" ", "")) >= width:
            notes.append(
                ImportNote(raw.where, f"“{raw.label}”一行的数字连在一起（{filled[0]}），无法分列，未导入")
            )
            return None
    if len(cells) > width:
        notes.append(ImportNote(raw.where, f"“{raw.label}”一行的单元格多于{width}个，多出的已忽略"))
        cells = cells[:width]
    return cells
