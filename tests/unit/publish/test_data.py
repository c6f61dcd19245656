"""JSON, CSV and .xlsx against the model."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import openpyxl
import pytest

from workflow.domain.model import Report
from workflow.publish.artifacts import render_all
from workflow.publish.data import CSV_HEADER, render_csv, render_json, render_xlsx
from workflow.publish.html import PublicationMeta

META = PublicationMeta(version=1, published_at=datetime(2025, 1, 20, 2, 0, tzinfo=UTC), report_id=7)


def _model_cells(report: Report) -> dict[tuple[str, str, str], str]:
    return {
        (spec.name, row.key, col.key): report.table(spec.id).cell(row.key, col.key).raw.strip()  # type: ignore[union-attr]
        for spec in report.spec.tables
        for row in spec.rows
        for col in row.columns
    }


@pytest.mark.parametrize("fixture", ["r2021", "r2019"])
def test_csv_has_one_line_per_cell(fixture: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(fixture)
    data = render_csv(report)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_HEADER
    got = {(r[3], r[5], r[7]): r[9] for r in rows[1:]}
    assert got == _model_cells(report) and len(rows) - 1 == len(got)


def test_json_round_trips_to_the_same_report(r2021: Report) -> None:
    doc = json.loads(render_json(r2021, META))
    assert Report.from_dict(doc["report"]).content_hash() == r2021.content_hash()
    assert doc["metadata"]["content_hash"] == r2021.content_hash()
    assert doc["metadata"]["published_at"] == "2025-01-20T02:00:00+00:00"
    assert doc["metadata"]["first_published_at"] == doc["metadata"]["published_at"]


@pytest.mark.parametrize("fixture", ["r2021", "r2019"])
def test_xlsx_has_a_sheet_per_table_with_every_value(fixture: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(fixture)
    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(report, META)))
    assert wb.sheetnames == ["表二", "表三", "表四"]
    for spec in report.spec.tables:
        ws = wb[spec.name]
        values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, int | float)]
        expected = [report.table(spec.id).value(r.key, c.key) for r in spec.rows for c in r.columns]
        assert sorted(float(v) for v in values) == sorted(float(v) for v in expected if v is not None)
    assert any(str(m) == "A3:C5" for m in wb["表三"].merged_cells.ranges), "表三's note spans 3x3"


def test_render_all_gives_every_format(r2021: Report) -> None:
    artifacts = render_all(r2021, META)
    assert set(artifacts) == {"html", "pdf", "json", "csv", "xlsx"}
    assert artifacts["pdf"].data.startswith(b"%PDF")
    assert artifacts["xlsx"].data.startswith(b"PK")


def test_one_publication_is_one_xlsx_byte_for_byte(r2021) -> None:
    """openpyxl stamps the save time into the workbook; a publication's file must not depend on it
    (the published hash, `workflow rerender`'s "changed or not")."""
    import time

    first = render_xlsx(r2021, META)
    time.sleep(2.1)  # past the zip format's two-second resolution
    assert render_xlsx(r2021, META) == first
    assert openpyxl.load_workbook(io.BytesIO(first)).properties.modified == datetime(2025, 1, 20, 2, 0)


@pytest.mark.parametrize("fixture", ["r2021", "r2019"])
def test_every_data_file_names_body_year_format_and_unit(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    """A downloaded file on its own says whose figures it holds, for which year, in which format and unit."""
    report: Report = request.getfixturevalue(fixture)
    body, year, fmt = report.header.body_name, report.header.year, report.spec.name
    assert body and year

    rows = list(csv.reader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    head = rows[0]
    assert head[:3] == ["机关", "年度", "报告格式"] and head[-1] == "单位"
    assert {(r[0], r[1], r[2]) for r in rows[1:]} == {(body, str(year), fmt)}
    assert {r[10] for r in rows[1:]} == {"件", "万元"}
    assert all(r[10] == ("万元" if "金额" in r[8] else "件") for r in rows[1:])

    wb = openpyxl.load_workbook(io.BytesIO(render_xlsx(report, META)))
    for ws in wb.worksheets:
        assert ws["A1"].value == f"{body}{year}年政府信息公开工作年度报告 {ws.title}"
        assert fmt in ws["A2"].value and "单位：件" in ws["A2"].value and "万元" in ws["A2"].value

    meta = json.loads(render_json(report, META))["metadata"]
    assert (meta["body_name"], meta["year"], meta["format_name"]) == (body, year, fmt)
    assert meta["units"]["count"] == "件" and meta["units"]["amount"] == "万元"
