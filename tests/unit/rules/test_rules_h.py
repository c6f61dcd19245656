"""H1: the date of the report (落款), RULES.md § H; and a generated report is clean for families E–H."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from helpers import TODAY, clean_report, findings, skipped

from workflow.domain.model import Report
from workflow.domain.samples import sample_report
from workflow.importers import import_text
from workflow.rules.catalog import validate
from workflow.rules.engine import Finding, Locator, Severity, ValidationResult


def test_H1_passes_on_a_january_date() -> None:
    r = clean_report()
    r.header.report_date = date(2027, 1, 14)
    assert findings(r, "H1") == []


@pytest.mark.parametrize("when", [date(2026, 12, 31), date(2026, 6, 1), date(2027, 2, 2)])
def test_H1_fires_before_year_end_or_in_the_future(when: date) -> None:
    r = clean_report()
    r.header.report_date = when
    (f,) = findings(r, "H1")
    assert f.severity is Severity.ERROR and f.where == Locator(row="落款日期")


def test_H1_passes_and_skips_without_a_date() -> None:
    r = clean_report()
    r.header.report_date = None
    assert findings(r, "H1") == []
    assert skipped(r, "H1")


def test_generated_reports_give_no_finding_from_families_E_to_H() -> None:
    for seed in range(200):
        r = sample_report(random.Random(seed), year=2026)
        got = [f for f in validate(r, today=TODAY).findings if f.rule[0] in "EFGH"]
        assert got == [], (seed, got)


# ---------------------------------------------------------------- the corpus: no false error from E–H
def _corpus(corpus: Path, name: str) -> Report:
    return import_text((corpus / f"{name}.txt").read_text(encoding="utf-8")).report


def _mine(result: ValidationResult) -> list[Finding]:
    return [f for f in result.findings if f.rule[0] in "EFGH"]


def test_pingtan_2021_and_2022_give_no_error_from_families_E_to_H(corpus: Path) -> None:
    p21, p22 = _corpus(corpus, "pingtan_2021"), _corpus(corpus, "pingtan_2022")
    for report, prev in ((p21, None), (p22, p21)):
        got = _mine(validate(report, prev, today=TODAY))
        assert [f for f in got if f.severity is Severity.ERROR] == [], got
    got = {(f.rule, f.severity) for f in _mine(validate(p22, p21, today=TODAY))}
    assert ("F1", Severity.WARNING) in got  # "收到申请75件" = 74 new + 1 carried
    assert ("G1", Severity.WARNING) in got  # "行政法复议"


def test_lushaer_2024_gives_exactly_G1_and_G4_errors_from_families_E_to_H(corpus: Path) -> None:
    result = validate(_corpus(corpus, "lushaer_2024"), today=TODAY)
    errors = [(f.rule, f.where) for f in _mine(result) if f.severity is Severity.ERROR]
    assert sorted(errors, key=str) == [("G1", Locator(3)), ("G4", Locator(6))]
    assert {f.rule for f in _mine(result)} >= {"G6", "G7"}  # title without a year; 党风廉政 items
    assert _mine(result) and not result.by_rule("F9")  # 31+14+21+22+8+6 = 102
