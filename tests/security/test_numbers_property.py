"""#13 point 3, as properties (hypothesis): whatever string reaches a number cell — through the web
form, the JSON API or any importer — nothing raises, and whatever is stored can be read again: the
form opens, validation runs, the publication data renders.

Budget: 2,000 examples per entry point on the function each route calls (`forms.report_from_form`
for the form, `Report.from_dict` plus the API's refusal for the API, `import_text` / `import_html` /
`import_docx` for the importers), and 300 examples through HTTP (TestClient on the web world) for
the form and the API, where a round trip costs tens of milliseconds.  `derandomize=True`: the same
examples on every run, so CI stays deterministic.
"""

from __future__ import annotations

import io
import json
import random
import re
import zipfile
from decimal import Decimal
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

import pytest
from fastapi import HTTPException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workflow.db.models import ReportRow
from workflow.domain.formats import FORMATS, ColumnKind, FormatId
from workflow.domain.model import Report, Section
from workflow.domain.numbers import AMOUNT_DECIMALS, parse_number, problem, read_number
from workflow.domain.samples import sample_report
from workflow.exporters.docx import to_docx
from workflow.exporters.html import to_html
from workflow.exporters.text import to_text
from workflow.importers import ImportFailure, import_docx, import_html, import_text
from workflow.publish.data import render_json
from workflow.publish.html import PublicationMeta
from workflow.rules.catalog import validate
from workflow.web import forms
from workflow.web.api import _refuse_bad_numbers

FUNCTION = settings(
    max_examples=2000, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
HTTP = settings(
    max_examples=300, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)

CELLS = [
    (t.id, r.key, c.key, c.kind) for t in FORMATS[FormatId.F2021].tables for r in t.rows for c in r.columns
]
MARKER = "7654321"  # a value no sample cell holds: where the arbitrary text goes in an exported file

NUMBERISH = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\A[+\-－]?[0-9０-９]{1,6}(?:[.．][0-9]{0,8})?[eE][+\-]?[0-9]{1,12}\Z"),
    st.text(st.characters(categories=("Nd", "No", "Nl")), min_size=1, max_size=8),
    st.integers(min_value=-(10**25), max_value=10**25).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=0, max_value=6000).map(lambda n: "9" * n),
    st.builds(
        lambda n, sep, unit, wide: (f"{n:,}".replace(",", sep) + unit).translate(wide),
        st.integers(min_value=0, max_value=10**13),
        st.sampled_from(["", ",", "，", " "]),
        st.sampled_from(["", "件", "元", "万元", "人次", " 件", "个"]),
        st.sampled_from([{}, str.maketrans("0123456789", "０１２３４５６７８９")]),
    ),
    st.sampled_from(
        ["①", "²", "1E+999999999", "1E+5000", "NaN", "Infinity", "-0", "1/2", "½", "Ⅻ", "٣", "1_000"]
    ),
)
META = PublicationMeta()


@cache
def _base_dict() -> str:
    report = sample_report(random.Random(7), year=2024, body_name="鲁沙尔镇人民政府")
    for n, s in report.sections.items():  # short texts: the examples are about the cells
        report.sections[n] = Section(s.title, s.text.split("\n")[0][:200])
    return json.dumps(report.to_dict(), ensure_ascii=False)


def _base() -> Report:
    """A fresh copy of a clean report with short texts."""
    return Report.from_dict(json.loads(_base_dict()))


@cache
def _base_fields() -> str:
    return json.dumps(forms.form_values(_base()), ensure_ascii=False)


_READ: set[int] = set()


def readable(report: Report) -> None:
    """What a later read does with a stored draft: it must never raise, and every number is bounded.
    (A draft already read in an earlier example is not read again: the same JSON, the same read.)"""
    blob = json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True)
    if hash(blob) in _READ:
        return
    _READ.add(hash(blob))
    stored = Report.from_dict(json.loads(blob))
    for table in stored.tables.values():
        for cells in table.rows.values():
            for cell in cells.values():
                v = cell.value
                if v is not None:
                    assert -(10**13) <= v <= 10**13, cell.raw
                    if isinstance(v, Decimal):
                        assert v.as_tuple().exponent >= -AMOUNT_DECIMALS, cell.raw  # type: ignore[operator]
    validate(stored)
    forms.cell_errors(stored)
    forms.form_values(stored)
    render_json(stored, META)  # the publication data (the CSV and the page show the text as written)


# ---------------------------------------------------------------- the reader


@pytest.mark.slow
@given(raw=NUMBERISH)
@FUNCTION
def test_the_reader_never_raises_and_bounds_every_number(raw: str) -> None:
    got = read_number(raw)
    assert parse_number(raw) == got.value  # the fast path every stored cell takes agrees
    for kind in ColumnKind:
        verdict = problem(got, kind)
        assert verdict is None or isinstance(verdict, str)
    if got.value is not None:
        assert -(10**13) <= got.value <= 10**13
        assert problem(got, ColumnKind.AMOUNT) is None or got.value < 0 or got.unit or got.value > 10**10
    else:
        assert got.blank or got.problem


# ---------------------------------------------------------------- the web form and the API, as functions


@pytest.mark.slow
@given(raw=NUMBERISH, where=st.sampled_from(CELLS))
@FUNCTION
def test_the_form_reader_never_raises_and_what_it_stores_reads_back(raw: str, where: Any) -> None:
    tid, row, col, _ = where
    base = _base()
    posted = json.loads(_base_fields()) | {forms.cell_name(tid, row, col): raw}
    parsed = forms.report_from_form(posted, base)
    if parsed.fatal:
        assert forms.cell_name(tid, row, col) in parsed.errors  # refused, and said where
        return
    readable(parsed.report)


@pytest.mark.slow
@given(
    value=st.one_of(NUMBERISH, st.integers(), st.floats(), st.booleans(), st.none()),
    where=st.sampled_from(CELLS),
)
@FUNCTION
def test_the_api_refuses_or_stores_something_readable(value: Any, where: Any) -> None:
    tid, row, col, kind = where
    content = json.loads(_base_dict())
    content["tables"][tid]["rows"][row][col] = value
    try:
        report = Report.from_dict(json.loads(json.dumps(content)))
    except ValueError:
        return  # the route answers 422 (a JSON number Python will not print, 4,300+ digits)
    try:
        _refuse_bad_numbers(report)
    except HTTPException as exc:
        assert exc.status_code == 422 and ("表" in exc.detail or "年度" in exc.detail)
        return
    cell = report.tables[tid].cell(row, col)
    assert cell is not None and (cell.is_blank or problem(read_number(cell.raw), kind) is None)
    readable(report)


# ---------------------------------------------------------------- every importer


@cache
def _exports() -> tuple[str, str, bytes]:
    """A report holding only 表四 (the importers' table reading is what matters here, and a small
    document keeps 2,000 examples quick) as text, HTML and .docx, with MARKER in its first cell."""
    report = _base()
    report.tables = {"t4": report.tables["t4"]}
    report.tables["t4"].set("review", "upheld", MARKER)
    return to_text(report), to_html(report), to_docx(report)


def _docx_with(raw: str) -> bytes:
    _, _, docx = _exports()
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:  # the one part the importer reads
        body = source.read("word/document.xml")
        zf.writestr("word/document.xml", body.replace(MARKER.encode(), escape(_xml_safe(raw)).encode(), 1))
    return out.getvalue()


def _xml_safe(raw: str) -> str:
    """XML 1.0 cannot carry control characters or lone surrogates: Word could never have written them."""
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", raw)


def _imported(fn: Any, *args: Any) -> None:
    try:
        result = fn(*args, year=2024)
    except ImportFailure as exc:
        assert str(exc)  # refused, in words
        return
    readable(result.report)


@pytest.mark.slow
@given(raw=NUMBERISH)
@FUNCTION
def test_the_text_importer_never_raises_and_what_it_reads_reads_back(raw: str) -> None:
    text, _, _ = _exports()
    _imported(import_text, text.replace(MARKER, raw, 1))


@pytest.mark.slow
@given(raw=NUMBERISH)
@FUNCTION
def test_the_html_importer_never_raises_and_what_it_reads_reads_back(raw: str) -> None:
    _, html, _ = _exports()
    _imported(import_html, html.replace(MARKER, escape(raw), 1))


@pytest.mark.slow
@given(raw=NUMBERISH)
@FUNCTION
def test_the_docx_importer_never_raises_and_what_it_reads_reads_back(raw: str) -> None:
    _imported(import_docx, _docx_with(raw))


# ---------------------------------------------------------------- through HTTP


def _stored(db, report_id: int) -> ReportRow:
    with db.sessions() as s:
        row = s.get(ReportRow, report_id)
        s.expunge(row)
        return row


@pytest.mark.slow
def test_the_form_over_http_never_answers_500(world, browser, db) -> None:
    b = browser("lushaer")
    url = f"/reports/{world.report_id}/edit"

    @given(raw=NUMBERISH, where=st.sampled_from(CELLS))
    @HTTP
    def run(raw: str, where: Any) -> None:
        tid, row, col, _ = where
        stored = _stored(db, world.report_id)
        fields = forms.form_values(Report.from_dict(stored.draft)) | {forms.cell_name(tid, row, col): raw}
        r = b.post(url, fields | {"revision": str(stored.draft_revision)})
        assert r.status_code in (303, 422), (raw, r.status_code)
        readable(Report.from_dict(_stored(db, world.report_id).draft))
        assert b.get(url).status_code == 200

    run()


@pytest.mark.slow
def test_the_api_over_http_never_answers_500(world, browser, db) -> None:
    b = browser("lushaer")
    url = f"/api/reports/{world.report_id}/draft"

    @given(
        value=st.one_of(NUMBERISH, st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
        where=st.sampled_from(CELLS),
    )
    @HTTP
    def run(value: Any, where: Any) -> None:
        tid, row, col, _ = where
        stored = _stored(db, world.report_id)
        content = stored.draft
        content["tables"].setdefault(tid, {"rows": {}}).setdefault("rows", {}).setdefault(row, {})[col] = (
            value
        )
        r = b.api("PUT", url, json={"content": content, "expected_revision": stored.draft_revision})
        assert r.status_code in (200, 422), (value, r.status_code, r.text[:200])
        readable(Report.from_dict(_stored(db, world.report_id).draft))
        assert b.get(f"/api/reports/{world.report_id}").status_code == 200

    run()
