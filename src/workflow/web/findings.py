"""Where each finding is shown: at its cell, its row, its table, its section, or at the top."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from workflow.clock import now
from workflow.domain.model import Report
from workflow.rules.catalog import validate
from workflow.rules.engine import SEVERITY_ORDER, Severity


def check(report: Report, previous: Report | None = None) -> list[dict[str, Any]]:
    """Validate a draft in-process (the same catalog, and the same "today" from the clock in
    Asia/Shanghai, as submission and the workers) and return plain dicts."""
    return [f.to_dict() for f in validate(report, previous, today=now().date()).findings]


def _places(report: Report) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]], set[tuple[str, str]]]:
    tables = report.spec.tables
    cells = {(t.id, r.key, c.key) for t in tables for r in t.rows for c in r.columns}
    return cells, {(t.id, r.key) for t in tables for r in t.rows}, {(t, c) for t, _, c in cells}


def _place(f: dict[str, Any], places: tuple[set[Any], set[Any], set[Any]]) -> tuple[str, str]:
    """(key of the place the page shows `f` at, id of that place in the page)."""
    cells, rows, columns = places
    w = f.get("where") or {}
    table, row, col, section = w.get("table"), w.get("row"), w.get("column"), w.get("section")
    if table and row and col and (table, row, col) in cells:
        return f"{table}/{row}/{col}", f"cell-{table}-{row}-{col}"
    if table and row and (table, row) in rows:
        return f"{table}/{row}/", f"row-{table}-{row}"
    if table and not row and col and (table, col) in columns:
        return f"{table}/*/{col}", f"col-{table}-{col}"
    if table:
        return f"{table}//", f"table-{table}"
    if section:
        return f"s{section}", f"section-{section}"
    return "general", "general-findings"


def locate(findings: list[dict[str, Any]], report: Report) -> dict[str, list[dict[str, Any]]]:
    """Group findings by the place the page shows them.

    Keys: "t3/new/total" (a cell), "t3/new/" (a row), "t3/*/total" (a column), "t3//" (a table),
    "s5" (a section), "general".
    """
    at: dict[str, list[dict[str, Any]]] = defaultdict(list)
    places = _places(report)
    for f in findings:
        at[_place(f, places)[0]].append(f)
    return dict(at)


def anchored(findings: list[dict[str, Any]], report: Report) -> list[dict[str, Any]]:
    """Copies of the findings, each with "anchor": the id of the place the page shows it at
    ("cell-t3-new-total", "row-t4-review", "col-t3-total", "table-t3", "section-5"), so the
    list of findings links to it."""
    places = _places(report)
    return [f | {"anchor": _place(f, places)[1]} for f in findings]


def counts(findings: list[dict[str, Any]]) -> dict[str, int]:
    out = {s.value: 0 for s in Severity}
    for f in findings:
        out[f["severity"]] = out.get(f["severity"], 0) + 1
    return out


def sort_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[Severity(f["severity"])], f["rule"]))


def warnings_of(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["severity"] == Severity.WARNING.value]
