"""Machine-readable artifacts: the full report as JSON, the three tables as CSV and as .xlsx.

CSV: one file, one line per cell ("long" format), with the table in a column.  One file is one
download, and every line says which table, row and column it is, so nobody has to guess what a bare
grid of numbers meant; keys are the stable ones from workflow.domain.formats, labels the national ones.
UTF-8 with a BOM so that Excel on a government desktop opens the Chinese correctly.

XLSX: one sheet per table, laid out and merged exactly like the national template (same grid as the
HTML), numbers stored as numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Side
from openpyxl.utils import get_column_letter

from workflow.domain.formats import ColumnKind
from workflow.domain.model import Report
from workflow.exporters.safe import inert, put
from workflow.publish.html import PublicationMeta, report_title
from workflow.publish.layout import Grid, GridCell, grids

CSV_HEADER = ("机关", "年度", "报告格式", "表", "分组", "行键", "行", "列键", "列", "数值", "单位")
COUNT_UNIT = "件"
AMOUNT_UNIT = "万元"
UNITS_NOTE = "单位：件（金额为万元）"


def _unit(kind: ColumnKind) -> str:
    return AMOUNT_UNIT if kind == ColumnKind.AMOUNT else COUNT_UNIT


def _whose(report: Report) -> tuple[str, str, str]:
    """Whose figures these are: the body, the report year, the national format."""
    h = report.header
    return h.body_name or "", str(h.year or ""), report.spec.name


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def render_json(report: Report, meta: PublicationMeta) -> bytes:
    doc: dict[str, Any] = {
        "metadata": {
            "title": report_title(report),
            "report_id": meta.report_id,
            "version": meta.version,
            "published_at": _iso(meta.published_at),
            "first_published_at": _iso(meta.first_published_at or meta.published_at),
            "correction_note": meta.correction_note or None,
            "body_name": report.header.body_name or None,
            "year": report.header.year,
            "format_name": report.spec.name,
            "units": {"count": COUNT_UNIT, "amount": AMOUNT_UNIT, "note": UNITS_NOTE},
            "content_hash": report.content_hash(),
        },
        "report": report.to_dict(),
    }
    if meta.contested:
        # The checker's errors that the reviewer agreed were wrong: kept in the record, marked as such.
        doc["contested_findings"] = list(meta.contested)
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False).encode("utf-8")


def csv_rows(report: Report) -> list[tuple[str, ...]]:
    """One line per cell, each naming whose figures it holds (body, year, format) and its unit."""
    whose = _whose(report)
    out: list[tuple[str, ...]] = []
    for spec in report.spec.tables:
        table = report.table(spec.id)
        for row in spec.rows:
            for col in row.columns:
                cell = table.cell(row.key, col.key)
                value = cell.raw.strip() if cell else ""
                out.append(
                    (
                        *whose,
                        spec.name,
                        row.group,
                        row.key,
                        row.label,
                        col.key,
                        col.label,
                        value,
                        _unit(col.kind),
                    )
                )
    return out


def render_csv(report: Report) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows([inert(value) for value in row] for row in csv_rows(report))  # no formula runs
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)


def render_xlsx(report: Report, meta: PublicationMeta) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for grid in grids(report):
        _write_sheet(wb.create_sheet(grid.name), grid, report)
    # Fixed document dates: the same publication always gives the same workbook (see _fixed_stamps).
    stamp = (meta.published_at or datetime(2000, 1, 1)).replace(tzinfo=None)
    wb.properties.created = wb.properties.modified = stamp
    wb.properties.title = report_title(report)
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_stamps(buf.getvalue(), stamp)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _fixed_stamps(data: bytes, stamp: datetime) -> bytes:
    """The workbook with the publication's time in place of the save time that openpyxl writes into
    docProps/core.xml and into every zip entry: one publication, byte for byte one file (so that
    `workflow rerender` and the published hashes see a change only where there is one)."""
    when = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + iso + rb"\g<2>", content)
            dst.writestr(zipfile.ZipInfo(item.filename, date_time=when), content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


TITLE_ROWS = 2  # the sheet's title and the line naming format and unit, above the table


def _write_sheet(ws: Any, grid: Grid, report: Report) -> None:
    body, year, format_name = _whose(report)
    put(ws, 1, 1, f"{body}{year}年政府信息公开工作年度报告 {grid.name}").alignment = _LEFT
    put(ws, 2, 1, f"报告格式：{format_name}　{UNITS_NOTE}").alignment = _LEFT
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate([*grid.head, *grid.body], start=TITLE_ROWS + 1):
        c = 1
        for cell in row:
            while (r, c) in taken:
                c += 1
            _put(ws, r, c, cell, report, grid.table_id)
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            if cell.rowspan > 1 or cell.colspan > 1:
                ws.merge_cells(
                    start_row=r, start_column=c, end_row=r + cell.rowspan - 1, end_column=c + cell.colspan - 1
                )
            c += cell.colspan
    for i, w in enumerate(grid.col_widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(6.0, w * 1.2)


def _put(ws: Any, r: int, c: int, cell: GridCell, report: Report, table_id: str) -> None:
    value: Any = cell.text
    if cell.row:
        model = report.table(table_id).cell(cell.row, cell.col)
        if model is not None and model.value is not None:
            value = model.value  # int or Decimal: openpyxl stores both as numbers
    target = put(ws, r, c, value)  # a string is text, never a formula (exporters.safe)
    target.border = _BORDER
    target.alignment = _LEFT if cell.kind == "label" else _CENTER
    for dr in range(cell.rowspan):
        for dc in range(cell.colspan):
            ws.cell(r + dr, c + dc).border = _BORDER
