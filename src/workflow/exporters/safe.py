"""Cells a spreadsheet never runs: text that starts like a formula is written as text.

A body's name, an explanation or a user agent typed as `=HYPERLINK(…)`, `+cmd|…`, `-1+1` or `@SUM(1)`
would otherwise become a live formula when a download is opened in Excel or WPS (CSV injection).  Every
xlsx and CSV the application writes goes through this module:

- xlsx: `put` / `append` store every string as a string cell (data type "s", never "f") and mark the
  risky ones with Excel's own quote prefix, so editing the cell keeps it text; the value is unchanged.
- CSV: `inert` prefixes a risky string with a single quote (OWASP's advice); the reader sees it as text.

Numbers stay numbers: ints, Decimals and floats are passed through, and so is a string that is just a
number ("-5", "+1.5") or a blank marker ("-", "--"), which no spreadsheet evaluates as a formula.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# A plain number, or the reports' blank markers "-" / "--": nothing a spreadsheet could run.
_HARMLESS = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?|-{1,2}")


def is_risky(text: str) -> bool:
    """Would a spreadsheet take this text for a formula (or a DDE call)?"""
    return text.startswith(FORMULA_STARTS) and _HARMLESS.fullmatch(text) is None


def inert(value: Any) -> Any:
    """A CSV field: a risky string gets a leading single quote; anything else is returned as is."""
    if isinstance(value, str) and is_risky(value):
        return "'" + value
    return value


def mark_text(cell: Any) -> Any:
    """Make an openpyxl cell holding a string a text cell for good (never a formula)."""
    value = cell.value
    if isinstance(value, str):
        cell.data_type = "s"
        if is_risky(value):
            cell.quotePrefix = True
    return cell


def put(ws: Any, row: int, column: int, value: Any) -> Any:
    """`ws.cell(row, column, value)`, with a string always stored as text."""
    return mark_text(ws.cell(row=row, column=column, value=value))


def append(ws: Any, values: Iterable[Any]) -> None:
    """`ws.append(values)`, with every string stored as text."""
    ws.append(list(values))
    for cell in ws[ws.max_row]:
        mark_text(cell)
