"""#13 point 3: numbers are read once, in one place (domain/numbers.py), with limits.

The attacks as found on the main of 2026-12-03: `1E+999999999` was saved and then nobody could open the
report (decimal overflow in the rules); `①`, `²` or a 5,000-digit number gave a 500; a fee of
`1E+5000` was publishable.  Each is now a problem named at its cell, and a value stored before the
fix is read as such a problem, never as an exception.  #14 class 2: "250000元" in 收费金额 is a
number with the wrong unit (A3 warning), not a not-a-number error.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from conftest import clean_report
from sqlalchemy import update

from workflow.db.models import ReportRow
from workflow.domain.formats import ColumnKind
from workflow.domain.model import Report
from workflow.domain.numbers import cell_problem, read_number
from workflow.publish.data import render_csv, render_json
from workflow.publish.html import PublicationMeta, render_html
from workflow.rules.catalog import validate
from workflow.web.forms import cell_name

FIVE_THOUSAND = "9" * 5000
REFUSED = ["1E+999999999", "1e5", "①", "²", "٣", FIVE_THOUSAND, "1E+5000", "NaN", "Infinity", "1/2", "-1"]


# ---------------------------------------------------------------- the reader itself


@pytest.mark.parametrize("raw", REFUSED)
def test_the_attack_values_are_refused_for_counts_and_money(raw):
    assert cell_problem(raw, ColumnKind.COUNT)
    assert cell_problem(raw, ColumnKind.AMOUNT)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("１２３", 123),  # full-width digits
        ("1,234", 1234),
        ("1，234", 1234),  # full-width comma
        ("１，２３４", 1234),
        ("  12  ", 12),
        ("\u300012\u3000", 12),  # ideographic spaces
        ("12件", 12),
        ("1,000,000,000", 1_000_000_000),
        ("0", 0),
    ],
)
def test_counts_written_as_people_write_them_are_read(raw, value):
    assert read_number(raw).value == value
    assert cell_problem(raw, ColumnKind.COUNT) is None


def test_count_limits_and_messages_name_the_range():
    message = cell_problem("1,000,000,001", ColumnKind.COUNT)
    assert message and "0 到 1,000,000,000 之间的整数" in message
    assert "科学计数法" in (cell_problem("1E+999999999", ColumnKind.COUNT) or "")
    assert "阿拉伯数字" in (cell_problem("①", ColumnKind.COUNT) or "")
    assert "整数" in (cell_problem("2.5", ColumnKind.COUNT) or "")
    assert "负数" in (cell_problem("-1", ColumnKind.COUNT) or "")
    assert cell_problem("-3", ColumnKind.SIGNED) is None  # 2019 本年增/减


def test_money_takes_six_decimals_and_a_unit():
    assert read_number("24252.311082").value == Decimal("24252.311082")  # 平潭 2021, 万元
    assert cell_problem("24252.311082", ColumnKind.AMOUNT) is None
    assert cell_problem("3.1234567", ColumnKind.AMOUNT)  # a seventh decimal is below one 分
    got = read_number("12345.67元")
    assert (got.value, got.unit) == (Decimal("12345.67"), "元")
    assert cell_problem("250000元", ColumnKind.AMOUNT) is None  # a number; A3 says the unit is wrong
    assert read_number("250000（元）").unit == read_number("3.5(万元)").unit[-1] == "元"
    assert read_number("１２ 件").value == 12
    assert cell_problem("250000元", ColumnKind.COUNT)  # 元 is no unit of a count


# ---------------------------------------------------------------- the rules, on any stored value


def _with(raw: str, table: str = "t3", row: str = "new", col: str = "natural") -> Report:
    r = clean_report()
    r.tables[table].set(row, col, raw)
    return Report.from_dict(r.to_dict())  # as read back from the database


@pytest.mark.parametrize("raw", REFUSED)
def test_a_stored_attack_value_is_an_A2_error_at_its_cell(raw):
    report = _with(raw)
    result = validate(report)
    errors = [f for f in result.errors if f.rule == "A2"]
    assert [(f.where.table, f.where.row, f.where.column) for f in errors] == [("t3", "new", "natural")]
    assert len(errors[0].message) < 300  # the 5,000 digits are not repeated
    render_json(report, PublicationMeta())
    render_csv(report)
    render_html(report)


def test_a_fee_of_1E5000_is_an_error_not_a_publishable_number():
    report = _with("1E+5000", "t2", "fees", "amount")
    got = [f for f in validate(report).errors if f.rule == "A2"]
    assert got and got[0].where.row == "fees"


def test_a_fee_written_in_yuan_is_a_unit_warning_not_a_number_error():
    report = _with("250000元", "t2", "fees", "amount")
    result = validate(report)
    assert not [f for f in result.errors if f.where.row == "fees"]
    a3 = [f for f in result.warnings if f.rule == "A3"]
    assert len(a3) == 1 and "万元" in a3[0].message and "25" in a3[0].message
    zero = validate(_with("0元", "t2", "fees", "amount"))  # 0 元 is 0 万元: nothing to say
    assert not [f for f in zero.findings if f.rule in ("A2", "A3")]


# ---------------------------------------------------------------- the web form, the API, a draft from before


def _form(page_html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input name="([^"]+)" value="([^"]*)"', page_html))
    fields["revision"] = re.search(r'name="revision" value="(\d+)"', page_html).group(1)
    for name, text in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page_html, re.S):
        fields[name] = text
    fields["format"] = "2021"
    return fields


def _draft(db, report_id: int) -> dict:
    with db.sessions() as s:
        return s.get(ReportRow, report_id).draft


@pytest.mark.both_backends
def test_form_keeps_an_exponent_flags_it_and_the_report_still_opens(world, browser, db):
    b = browser("lushaer")
    fields = _form(b.get(f"/reports/{world.report_id}/edit").text)
    name = cell_name("t3", "new", "natural")
    fields[name] = "1E+999999999"
    fields[cell_name("t2", "fees", "amount")] = "1E+5000"
    assert b.post(f"/reports/{world.report_id}/edit", fields).status_code == 303
    page = b.get(f"/reports/{world.report_id}/edit")
    assert page.status_code == 200
    cell = re.search(r'<td class="cell([^"]*)" data-cell="t3.new.natural".*?</td>', page.text, re.S)
    assert "has-error" in cell.group(1) and "科学计数法" in cell.group(0)
    other = browser("reviewer")  # "nobody could open it": a reviewer's page and the API too
    assert other.get(f"/reports/{world.report_id}").status_code == 200
    assert b.get(f"/api/reports/{world.report_id}").status_code == 200
    r = b.post(f"/reports/{world.report_id}/submit")
    assert r.status_code in (409, 422) and _row_state(db, world.report_id) == "draft"


def _row_state(db, report_id: int) -> str:
    with db.sessions() as s:
        return s.get(ReportRow, report_id).state


@pytest.mark.parametrize("raw", ["①", "²", FIVE_THOUSAND])
def test_form_never_answers_500_to_odd_digits(world, browser, db, raw):
    b = browser("lushaer")
    fields = _form(b.get(f"/reports/{world.report_id}/edit").text)
    fields[cell_name("t4", "review", "upheld")] = raw
    r = b.post(f"/reports/{world.report_id}/edit", fields)
    assert r.status_code in (303, 422)
    if r.status_code == 422:  # the 5,000 digits: not stored, shown back with the reason
        assert "超过 100 个字符" in r.text and raw in r.text
        assert FIVE_THOUSAND not in str(_draft(db, world.report_id))
    assert b.get(f"/reports/{world.report_id}/edit").status_code == 200


def test_form_accepts_full_width_digits_and_thousands_separators(world, browser, db):
    b = browser("lushaer")
    fields = _form(b.get(f"/reports/{world.report_id}/edit").text)
    fields[cell_name("t3", "new", "natural")] = "１，２３４"
    fields[cell_name("t3", "new", "commercial")] = "1,234"
    assert b.post(f"/reports/{world.report_id}/edit", fields).status_code == 303
    report = Report.from_dict(_draft(db, world.report_id))
    assert report.tables["t3"].value("new", "natural") == 1234
    assert report.tables["t3"].value("new", "commercial") == 1234
    page = b.get(f"/reports/{world.report_id}/edit").text
    cell = re.search(r'<td class="cell([^"]*)" data-cell="t3.new.natural".*?</td>', page, re.S)
    assert "A2" not in cell.group(0)


def _put(b, report_id: int, content, revision: int):
    return b.api(
        "PUT", f"/api/reports/{report_id}/draft", json={"content": content, "expected_revision": revision}
    )


@pytest.mark.both_backends
@pytest.mark.parametrize(
    "value", ["1E+999999999", "①", "²", FIVE_THOUSAND, "NaN", 1e308, float("inf"), True, 10**4000]
)
def test_api_refuses_a_bad_number_and_stores_nothing(world, browser, db, value):
    b = browser("lushaer")
    before = _draft(db, world.report_id)
    content = clean_report().to_dict()
    content["tables"]["t3"]["rows"]["new"]["natural"] = value
    try:
        r = _put(b, world.report_id, content, 1)
    except ValueError:  # the client itself cannot write inf as JSON: nothing sent, nothing stored
        r = None
    if r is not None:
        assert r.status_code == 422, r.text[:300]
        detail = r.json()["detail"]
        assert "表三" in detail and "自然人" in detail and len(detail) < 2000
    assert _draft(db, world.report_id) == before


def test_api_refuses_a_5000_digit_json_number_without_a_500(world, browser, db):
    b = browser("lushaer")
    before = _draft(db, world.report_id)
    cell = '{"natural": ' + FIVE_THOUSAND + "}"
    body = '{"expected_revision": 1, "content": {"tables": {"t3": {"rows": {"new": ' + cell + "}}}}}"
    r = b.api(
        "PUT",
        f"/api/reports/{world.report_id}/draft",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert 400 <= r.status_code < 500
    assert _draft(db, world.report_id) == before


def test_api_stores_full_width_and_separated_numbers(world, browser, db):
    b = browser("lushaer")
    content = clean_report().to_dict()
    content["tables"]["t3"]["rows"]["new"]["natural"] = "１，２３４"
    content["tables"]["t2"]["rows"]["fees"]["amount"] = 0.5
    assert _put(b, world.report_id, content, 1).status_code == 200
    report = Report.from_dict(_draft(db, world.report_id))
    assert report.tables["t3"].value("new", "natural") == 1234
    assert report.tables["t2"].value("fees", "amount") == Decimal("0.5")


@pytest.mark.both_backends
def test_a_draft_stored_before_the_fix_opens_for_everyone(world, browser, db):
    """A value written by the old code straight into the database: read as a problem at its cell."""
    content = clean_report().to_dict()
    content["tables"]["t3"]["rows"]["new"]["natural"] = "1E+999999999"
    content["tables"]["t3"]["rows"]["new"]["commercial"] = FIVE_THOUSAND
    content["tables"]["t2"]["rows"]["fees"]["amount"] = "1E+5000"
    with db.sessions() as s:
        s.execute(update(ReportRow).where(ReportRow.id == world.report_id).values(draft=content))
        s.commit()
    b = browser("lushaer")
    page = b.get(f"/reports/{world.report_id}/edit")
    assert page.status_code == 200 and "科学计数法" in page.text
    assert browser("reviewer").get(f"/reports/{world.report_id}").status_code == 200
    detail = b.get(f"/api/reports/{world.report_id}").json()
    a2 = {(f["where"]["table"], f["where"]["row"]) for f in detail["findings"] if f["rule"] == "A2"}
    assert {("t3", "new"), ("t2", "fees")} <= a2


# ---------------------------------------------------------------- numbers in the importers' markup


@pytest.mark.parametrize("span", ["²", "①", FIVE_THOUSAND, "-3", "1E+9"])
def test_odd_digits_in_a_span_attribute_do_not_refuse_the_file(span):
    from workflow.exporters.docx import to_docx
    from workflow.exporters.html import to_html
    from workflow.importers import import_docx, import_html

    report = clean_report()
    html = to_html(report).replace("<td", f'<td colspan="{span}"', 1)
    assert import_html(html, year=2024).report.tables["t3"].present
    docx = to_docx(report)
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "word/document.xml":
                body = body.replace(b"<w:tcPr>", f'<w:tcPr><w:gridSpan w:val="{span}"/>'.encode(), 1)
            dst.writestr(info, body)
    assert import_docx(out.getvalue(), year=2024).report.tables["t3"].present
