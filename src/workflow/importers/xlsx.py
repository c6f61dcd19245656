"""The tables back from an .xlsx downloaded from the form (exporters/form_xlsx.py) and filled offline.

The workbook's very hidden sheet says which cell is which; a workbook without it is not ours and is
refused (its layout would have to be guessed).  Sum cells hold our own formulas: Excel and WPS store
their computed values, openpyxl and some other programs do not, so sums are recomputed here from the
input cells they add up — never read from a formula, never trusted from a cached value.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from workflow.domain.formats import FORMATS, FormatId
from workflow.domain.model import Report, Table

from .types import ImportFailure, ImportNote, ImportResult

META_SHEET = "_workflow"
MARKER = "workflow-report-tables/1"
NOT_OURS = (
    "这个 Excel 文件不是从本系统下载的表格，无法确定各个格子对应报告的哪一项。"
    "请在填报页面点“下载 Excel 表格”，在下载的文件里填写后再上传。"
)


def _text(value: Any) -> str:
    """A cell's value as the text a clerk would have typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip()


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def import_xlsx(data: bytes) -> ImportResult:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), data_only=False, read_only=False)
    except Exception as exc:  # noqa: BLE001 - any failure to open is the same answer to the clerk
        raise ImportFailure("Excel 文件已损坏或不是 .xlsx 格式，无法读取。") from exc
    if META_SHEET not in wb.sheetnames:
        raise ImportFailure(NOT_OURS)
    meta = wb[META_SHEET]
    if meta.cell(1, 1).value != MARKER:
        raise ImportFailure(NOT_OURS)
    try:
        fmt = FormatId(str(meta.cell(1, 2).value))
    except ValueError:
        raise ImportFailure(NOT_OURS) from None
    spec = FORMATS[fmt]
    report = Report(format=fmt, tables={t.id: Table() for t in spec.tables})
    valid = {f"{t.id}.{r.key}.{c.key}" for t in spec.tables for r in t.rows for c in r.columns}
    sums: list[tuple[str, str, str, list[str]]] = []
    inputs: dict[tuple[str, str], str] = {}
    notes: list[ImportNote] = []
    for row in meta.iter_rows(min_row=2, max_col=4, values_only=True):
        key, sheet, coord, summed = (str(v) if v is not None else "" for v in row)
        if key not in valid or sheet not in wb.sheetnames or not coord:
            continue
        if summed:
            sums.append((key, sheet, coord, summed.split(",")))
            continue
        try:
            text = _text(wb[sheet][coord].value)
        except (ValueError, KeyError):
            continue
        if text.startswith("="):
            notes.append(ImportNote(f"{sheet} {coord}", "格子里是公式，没有读取，请填写数字"))
            text = ""
        inputs[(sheet, coord)] = text
        tid, rk, ck = key.split(".")
        if text:
            report.tables[tid].set(rk, ck, text)
    for key, sheet, coord, coords in sums:  # in order: a group total before the row that sums it
        values = [_number(inputs.get((sheet, c), "")) for c in coords]
        numbers = [v for v in values if v is not None]
        if not numbers:
            continue
        total = sum(numbers, Decimal(0))
        text = format(total.normalize(), "f")
        tid, rk, ck = key.split(".")
        report.tables[tid].set(rk, ck, text)
        inputs[(sheet, coord)] = text
    if not any(c.raw for t in report.tables.values() for cells in t.rows.values() for c in cells.values()):
        raise ImportFailure("Excel 表格里没有填写任何数字。请在浅黄色的格子里填写后再上传。")
    notes.insert(
        0, ImportNote("Excel 表格", "已读取表二、表三、表四；章节文字和基本信息不变，合计按各格重新计算")
    )
    return ImportResult(report, notes)
