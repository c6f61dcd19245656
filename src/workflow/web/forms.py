"""The report as an HTML form and back.

Field names are stable and readable: ``cell.<table>.<row>.<col>``, ``section.<n>.title`` /
``section.<n>.text``, ``header.<field>``.  Parsing never loses what was typed: a cell keeps its raw
text even when it is not a number, and the problem is reported at that cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from workflow.domain import numbers
from workflow.domain.formats import FORMATS, SECTION_TITLES, TABLE_NAMES, ColumnKind, FormatId, TableDef
from workflow.domain.model import Report, Section, Table

CELL_PREFIX = "cell."
_PERIOD = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日.{0,3}?至\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
)
_CN_DATE = re.compile(r"^\s*(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})\s*日?\s*$")


def cell_name(table: str, row: str, col: str) -> str:
    return f"{CELL_PREFIX}{table}.{row}.{col}"


@dataclass
class FormResult:
    """A report read back from a posted form, with the problems found at each field."""

    report: Report
    errors: dict[str, str] = field(default_factory=dict)  # field name -> Chinese message
    fatal: bool = False  # the form cannot be stored as is (e.g. an impossible date)


def cell_problem(raw: str, kind: ColumnKind) -> str | None:
    """Why a typed cell value is not acceptable, in Chinese; None when fine (blank is the rules' job).
    The one number reader decides (domain/numbers.py), as for the API, the importers and the rules."""
    return numbers.cell_problem(raw, kind)


def parse_date(raw: str) -> date | None:
    m = _CN_DATE.match(raw or "")
    if not m:
        raise ValueError(raw)
    return date(int(m[1]), int(m[2]), int(m[3]))


def parse_period(text: str) -> tuple[date | None, date | None]:
    m = _PERIOD.search(text or "")
    if not m:
        return None, None
    try:
        return date(int(m[1]), int(m[2]), int(m[3])), date(int(m[4]), int(m[5]), int(m[6]))
    except ValueError:
        return None, None


def _table_from_form(
    form: Mapping[str, str], tdef: TableDef, old: Table | None
) -> tuple[Table, dict[str, str]]:
    table = Table(present=True)
    errors: dict[str, str] = {}
    for row in tdef.rows:
        for col in row.columns:
            name = cell_name(tdef.id, row.key, col.key)
            raw = str(form.get(name, ""))
            table.set(row.key, col.key, raw)
            problem = cell_problem(raw, col.kind)
            if problem:
                errors[name] = problem
    if old is not None:
        table.labels = {k: v for k, v in old.labels.items() if k in table.rows}
        table.extra_rows = list(old.extra_rows)
    return table, errors


def report_from_form(form: Mapping[str, str], base: Report) -> FormResult:
    """Overlay the posted fields on `base` (the stored draft): what the form does not show is kept."""
    fmt = FormatId(form.get("format") or base.format.value)
    same_format = fmt is base.format
    report = Report.from_dict(base.to_dict())
    report.format = fmt
    if not same_format:
        # The import's evidence of the old format no longer describes what the clerk typed.
        report.format_markers = []
    errors: dict[str, str] = {}
    fatal = False
    h = report.header
    h.title = form.get("header.title", h.title).strip()
    h.period_text = form.get("header.period_text", h.period_text).strip()
    h.period_start, h.period_end = parse_period(h.period_text)
    h.signature = form.get("header.signature", h.signature).strip()
    if "header.report_date" in form:
        raw_date = form["header.report_date"].strip()
        try:
            h.report_date = parse_date(raw_date) if raw_date else None
        except ValueError:
            errors["header.report_date"] = "日期格式应为 2025-01-14 或 2025年1月14日"
            fatal = True
    report.preamble = form.get("preamble", report.preamble)
    for n in SECTION_TITLES:
        title = form.get(f"section.{n}.title")
        text = form.get(f"section.{n}.text")
        if title is None and text is None:
            continue
        old = report.sections.get(n)
        report.sections[n] = Section(
            (title.strip() or None) if title is not None else (old.title if old else None),
            _normalise_newlines(text) if text is not None else (old.text if old else ""),
        )
    for tdef in FORMATS[fmt].tables:
        old_table = base.tables.get(tdef.id) if same_format else None
        table, cell_errors = _table_from_form(form, tdef, old_table)
        report.tables[tdef.id] = table
        errors.update(cell_errors)
        # A number cell holding more than a number could ever need is not stored at all.
        fatal = fatal or any(
            len(c.raw) > numbers.MAX_CELL_CHARS for r in table.rows.values() for c in r.values()
        )
    return FormResult(report, errors, fatal)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def cell_errors(report: Report) -> dict[str, str]:
    """Problems of the stored cells (e.g. letters kept from an earlier save), by field name."""
    errors = {}
    for tdef in report.spec.tables:
        table = report.table(tdef.id)
        for row in tdef.rows:
            for col in row.columns:
                c = table.cell(row.key, col.key)
                problem = cell_problem(c.raw, col.kind) if c else None
                if problem:
                    errors[cell_name(tdef.id, row.key, col.key)] = problem
    return errors


def refusals(report: Report) -> list[str]:
    """Every cell whose text is not an acceptable number for its column, named for a person: what
    the JSON API refuses to store.  Cells outside the format are refused only when over-long."""
    out = []
    for tdef in report.spec.tables:
        table = report.tables.get(tdef.id)
        if table is None:
            continue
        known = set()
        for row in tdef.rows:
            for col in row.columns:
                known.add((row.key, col.key))
                c = table.cell(row.key, col.key)
                problem = cell_problem(c.raw, col.kind) if c else None
                if problem and c is not None:
                    shown = c.raw.strip() if len(c.raw.strip()) <= 24 else c.raw.strip()[:20] + "…"
                    out.append(f"{TABLE_NAMES[tdef.id]}“{row.label}”行“{col.label}”列的“{shown}”{problem}")
        for rk, cells in table.rows.items():
            for ck, c in cells.items():
                if (rk, ck) not in known and len(c.raw) > numbers.MAX_CELL_CHARS:
                    out.append(
                        f"{TABLE_NAMES[tdef.id]}的单元格 {rk}.{ck} 内容超过 {numbers.MAX_CELL_CHARS} 个字符"
                    )
    return out


def form_values(report: Report) -> dict[str, str]:
    """The field values that show `report` in the form."""
    h = report.header
    values = {
        "format": report.format.value,
        "header.title": h.title,
        "header.period_text": h.period_text,
        "header.report_date": h.report_date.isoformat() if h.report_date else "",
        "header.signature": h.signature,
        "preamble": report.preamble,
    }
    for n in SECTION_TITLES:
        s = report.sections.get(n)
        values[f"section.{n}.title"] = (s.title or "") if s else ""
        values[f"section.{n}.text"] = s.text if s else ""
    for tdef in report.spec.tables:
        table = report.table(tdef.id)
        for row in tdef.rows:
            for col in row.columns:
                c = table.cell(row.key, col.key)
                values[cell_name(tdef.id, row.key, col.key)] = c.raw if c else ""
    return values
