"""The Excel round trip: the workbook we write (national layout, locked labels, sums as formulas)
and the importer that reads it back."""

from __future__ import annotations

import io
import random

import pytest
from openpyxl import Workbook, load_workbook

from workflow.domain.formats import FormatId
from workflow.domain.samples import sample_report
from workflow.exporters.form_xlsx import tables_xlsx
from workflow.importers import ImportFailure, import_bytes


def _report():
    return sample_report(random.Random(11), year=2024, body_name='=HYPERLINK("x")镇')


def _rows(ws) -> dict[str, int]:
    return {str(ws.cell(i, 2).value): i for i in range(1, ws.max_row + 1)}


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_round_trip_without_edits_keeps_every_value():
    r = _report()
    back = import_bytes(tables_xlsx(r), "t.xlsx").report
    assert back.format is r.format
    for tid in ("t2", "t3", "t4"):
        for row, cells in r.table(tid).rows.items():
            for col, cell in cells.items():
                if cell.value is not None:
                    assert back.table(tid).value(row, col) == cell.value, (tid, row, col)


def test_layout_locked_labels_input_cells_and_formulas():
    wb = load_workbook(io.BytesIO(tables_xlsx(_report())))
    assert wb["_workflow"].sheet_state == "veryHidden"
    ws = wb["表三"]
    assert ws.protection.sheet
    row = _rows(ws)["一、本年新收政府信息公开申请数量"]
    assert ws.cell(row, 2).protection.locked  # the label
    assert not ws.cell(row, 3).protection.locked  # 自然人: an input
    assert ws.cell(row, 9).value == f"=SUM(C{row},D{row},E{row},F{row},G{row},H{row})"
    total = _rows(ws)["（七）总计"]
    assert str(ws.cell(total, 3).value).startswith("=SUM(")
    t4 = wb["表四"]
    assert t4.cell(5, 5).value == "=SUM(A5,B5,C5,D5)"
    first = wb["说明"]
    assert first.cell(1, 1).data_type == "s"  # a body name like a formula stays text


def test_sums_are_recomputed_from_the_inputs_not_the_formulas():
    wb = load_workbook(io.BytesIO(tables_xlsx(_report())))
    ws = wb["表三"]
    row = _rows(ws)["一、本年新收政府信息公开申请数量"]
    for col, v in zip(range(3, 9), (5, 1, 0, 0, 0, 2), strict=True):
        ws.cell(row, col).value = v
    ws.cell(row, 9).value = 999  # a stale cached/typed total is not believed
    back = import_bytes(_save(wb), "t.xlsx").report
    assert back.table("t3").value("new", "natural") == 5
    assert back.table("t3").value("new", "total") == 8


def test_text_and_decimals_come_back_as_typed():
    wb = load_workbook(io.BytesIO(tables_xlsx(_report())))
    ws = wb["表二"]
    fees = next(i for i in range(1, ws.max_row + 1) if ws.cell(i, 1).value == "行政事业性收费")
    ws.cell(fees, 2).value = 0.125
    back = import_bytes(_save(wb), "t.xlsx").report
    assert str(back.table("t2").value("fees", "amount")) == "0.125"


def test_a_2019_workbook_comes_back_in_2019():
    from workflow.domain.format_switch import switch_format

    r, _ = switch_format(_report(), FormatId.F2019)
    back = import_bytes(tables_xlsx(r), "t.xlsx").report
    assert back.format is FormatId.F2019
    assert back.table("t3").value("o", "total") == r.table("t3").value("o", "total")


def test_a_workbook_that_is_not_ours_is_refused():
    wb = Workbook()
    wb.active.append(["一、本年新收政府信息公开申请数量", 3])
    with pytest.raises(ImportFailure, match="不是从本系统下载的表格"):
        import_bytes(_save(wb), "mine.xlsx")


def test_an_empty_workbook_of_ours_is_refused():
    from workflow.domain.model import empty_report

    with pytest.raises(ImportFailure, match="没有填写任何数字"):
        import_bytes(tables_xlsx(empty_report()), "blank.xlsx")
