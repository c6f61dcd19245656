"""Small helpers on rows of cells, shared by the walk and the column mapping."""

from __future__ import annotations

from workflow.domain.formats import TABLE_NAMES


def where(tid: str | None, index: int) -> str:
    return f"{TABLE_NAMES.get(tid or '', '正文')} 第{index}个表格行"


def fit(cells: list[str], width: int) -> list[str]:
    """Cells after a label, fitted to `width` columns.

    Too many: leading blanks go first (a label spanning columns), then trailing ones (a tab
    left at the end of a copied line).  Too few: the missing ones are at the end.
    """
    start, end = 0, len(cells)
    while end - start > width and not cells[start]:
        start += 1
    while end - start > width and not cells[end - 1]:
        end -= 1
    return cells[start:end]
