"""The report as a Word document with real tables, header cells merged as in the template.

Table rows are written as XML directly (gridSpan for column spans, vMerge for row spans):
python-docx's cell()/merge() recompute the whole grid on every call, seconds per report.
"""

from __future__ import annotations

import io
from typing import Any

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from workflow.domain.model import Report

from .layout import TABLE_WIDTH, GCell, GRow, layout_rows, parts


def to_docx(report: Report) -> bytes:
    document = docx.Document()
    document.styles["Normal"].font.size = Pt(12)
    for part in parts(report):
        if part.kind == "table":
            _table(document, list(part.grid), TABLE_WIDTH[part.table])
        elif part.kind == "title":
            document.add_heading(part.text, level=1)
        elif part.kind == "heading":
            document.add_heading(part.text, level=2)
        else:
            document.add_paragraph(part.text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _table(document: docx.document.Document, grid: list[GRow], width: int) -> None:
    table = document.add_table(rows=0, cols=width)
    table.style = "Table Grid"
    tbl = table._tbl
    for line in layout_rows(grid, width):
        tr = OxmlElement("w:tr")
        col = 0
        while col < len(line):
            cell, origin = line[col]
            # Not the origin: covered by a span from the row above (a vMerge continuation).
            tr.append(_tc(cell, restart=origin and cell.rowspan > 1, cont=not origin))
            col += cell.colspan
        tbl.append(tr)


def _tc(cell: GCell, *, restart: bool, cont: bool) -> Any:
    tc = OxmlElement("w:tc")
    pr = OxmlElement("w:tcPr")
    if cell.colspan > 1:
        span = OxmlElement("w:gridSpan")
        span.set(qn("w:val"), str(cell.colspan))
        pr.append(span)
    if restart or cont:
        merge = OxmlElement("w:vMerge")
        if restart:
            merge.set(qn("w:val"), "restart")
        pr.append(merge)
    tc.append(pr)
    p = OxmlElement("w:p")
    if cell.text and not cont:
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = cell.text
        text.set(qn("xml:space"), "preserve")
        run.append(text)
        p.append(run)
    tc.append(p)
    return tc
