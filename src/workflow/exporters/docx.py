"""The report as a Word document with real tables, header cells merged as in the template."""

from __future__ import annotations

import io

import docx
from docx.shared import Pt

from workflow.domain.model import Report

from .layout import TABLE_WIDTH, GRow, layout_rows, parts


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
    laid = layout_rows(grid, width)
    table = document.add_table(rows=len(laid), cols=width)
    table.style = "Table Grid"
    for r, line in enumerate(laid):
        for c, (cell, origin) in enumerate(line):
            if not origin:
                continue
            target = table.cell(r, c)
            if cell.colspan > 1 or cell.rowspan > 1:
                target = target.merge(table.cell(r + cell.rowspan - 1, c + cell.colspan - 1))
            if cell.text:
                target.text = cell.text
