"""From what the walk found to the Report: header facts, format, cells mapped to columns."""

from __future__ import annotations

import re
from datetime import date

from workflow.domain.bodies import BodyType
from workflow.domain.formats import FORMATS, TABLE_NAMES, ColumnDef, FormatId, format_for_year
from workflow.domain.model import Cell, Header, Report, Section, Table

from . import header as H
from . import labels as L
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
    title = H.clean_title(w.title or "")
    if not title:
        notes.append(ImportNote("标题", "没有找到报告标题"))
    body_text = _body_text(w)
    text_body, text_year = H.body_from_text(preamble + "\n" + body_text)
    body = (
        body_name
        or H.unit_name(preamble)
        or H.body_from_title(title)
        or H.publisher(preamble)
        or text_body
        or H.body_named_in(preamble + "\n" + body_text)
        or (signature if H.is_body_name(signature) else "")
        or signature
    )
    if not body_name and not H.body_from_title(title) and body:
        notes.append(ImportNote("标题", f"标题中没有机关名称，机关名称“{body}”取自报告的其他部分"))
    period_text, start, end = H.find_period(preamble)
    if not period_text:
        period_text, start, end = H.find_period(body_text)
    year = year or _year(w, title, start, end, report_date, text_year)
    if year is None:
        notes.append(ImportNote("标题", "无法确定报告年度：标题、统计期限和落款日期都没有给出年份"))
    kind = body_type or _body_type(body, signature, preamble + "\n" + body_text)
    fmt = _format(w, year)
    report = Report(
        header=Header(
            body_name=body,
            body_type=kind,
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


def _body_type(body: str, signature: str, text: str) -> str:
    """From the name; else from the 落款; else from how the text speaks of itself ("我镇", "本街道")."""
    for name in (body, signature):
        kind = H.body_type_of(name)
        if kind is not BodyType.OTHER:
            return kind.value
    if body:
        return BodyType.OTHER.value  # a name that says no type: do not guess from the text
    return H.type_from_text(text).value


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


def _year(
    w: Walk, title: str, start: date | None, end: date | None, when: date | None, in_text: int | None
) -> int | None:
    if end is not None:
        return end.year
    if start is not None:
        return start.year
    found = H.year_in_title(title) or in_text or H.year_as_of(_body_text(w))
    if found:
        return found
    if when:
        return when.year - 1
    return H.year_in_text("\n".join(w.preamble) + "\n" + _body_text(w))


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
        if columns is None and fmt is FormatId.F2021 and not _has_successors(w, raw):
            old = _COLUMNS.get((FormatId.F2019, raw.table, raw.key))
            if old is not None:  # a 2019 试行 row in a 2021 table: kept, so A5 can name it
                cells = _cells(raw, len(old), notes)
                if cells is not None:
                    table.rows[raw.key] = _row(old, cells)
                    table.labels[raw.key] = raw.label
                    notes.append(ImportNote(raw.where, f"“{raw.label}”是2019年试行版格式的行"))
                    continue
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
        for col, written in zip(columns, w.column_labels.get(raw.key, ()), strict=False):
            if L.norm(written) != L.norm(col.label):  # a header not as the format writes it: A4 says so
                table.labels.setdefault("@" + col.key, written)
    return tables


# 2019 试行 rows and the 2021 rows that took their place.
_SUCCESSORS = {("t3", "o"): ("o1", "o2", "o3")}


def _has_successors(w: Walk, raw: RawRow) -> bool:
    """The 2021 rows that replaced this 2019 row are there too: the old row is an extra row."""
    keys = _SUCCESSORS.get((raw.table, raw.key), ())
    return any(r.table == raw.table and (r.key in keys or r.key == raw.key and r is not raw) for r in w.rows)


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
        run = filled[0].replace(" ", "")
        if _DIGITS_ONLY.match(filled[0]) and len(run) == width:
            return list(
                run
            )  # "规章000": as many digits as cells, one digit each (pages that drop separators)
        if _DIGITS_ONLY.match(filled[0]) and len(run) >= width:
            notes.append(
                ImportNote(raw.where, f"“{raw.label}”一行的数字连在一起（{filled[0]}），无法分列，未导入")
            )
            return None
    if len(cells) > width:
        notes.append(ImportNote(raw.where, f"“{raw.label}”一行的单元格多于{width}个，多出的已忽略"))
        cells = cells[:width]
    return cells
