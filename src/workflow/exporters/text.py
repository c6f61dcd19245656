"""The report as plain text: paragraphs, and tab-separated table rows like the corpus."""

from __future__ import annotations

from workflow.domain.model import Report

from .layout import TABLE_WIDTH, layout_rows, parts


def to_text(report: Report) -> str:
    lines: list[str] = []
    for part in parts(report):
        if part.kind == "table":
            lines += _table_lines(list(part.grid), TABLE_WIDTH[part.table])
        else:
            if part.kind == "heading" and lines:
                lines.append("")
            lines.append(part.text)
    return "\n".join(lines) + "\n"


def _table_lines(grid: list, width: int) -> list[str]:
    out = []
    for line in layout_rows(grid, width):
        cells = [(cell.text if origin else "", origin and cell.kind != "missing") for cell, origin in line]
        while cells and not cells[-1][1]:  # span padding and missing cells at the end are not written
            cells.pop()
        out.append("\t".join(text for text, _ in cells))
    return out
