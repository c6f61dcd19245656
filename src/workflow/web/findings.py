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


def locate(findings: list[dict[str, Any]], report: Report) -> dict[str, list[dict[str, Any]]]:
    """Group findings by the place the page shows them.

    Keys: "t3/new/total" (a cell), "t3/new/" (a row), "t3//" (a table), "s5" (a section), "general".
    """
    at: dict[str, list[dict[str, Any]]] = defaultdict(list)
    cells = {(t.id, r.key, c.key) for t in report.spec.tables for r in t.rows for c in r.columns}
    rows = {(t.id, r.key) for t in report.spec.tables for r in t.rows}
    for f in findings:
        w = f.get("where") or {}
        table, row, col, section = w.get("table"), w.get("row"), w.get("column"), w.get("section")
        if table and row and col and (table, row, col) in cells:
            key = f"{table}/{row}/{col}"
        elif table and row and (table, row) in rows and table != "t4":
            key = f"{table}/{row}/"
        elif table:
            key = f"{table}//"
        elif section:
            key = f"s{section}"
        else:
            key = "general"
        at[key].append(f)
    return dict(at)


def counts(findings: list[dict[str, Any]]) -> dict[str, int]:
    out = {s.value: 0 for s in Severity}
    for f in findings:
        out[f["severity"]] = out.get(f["severity"], 0) + 1
    return out


def sort_findings(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[Severity(f["severity"])], f["rule"]))


def warnings_of(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["severity"] == Severity.WARNING.value]
