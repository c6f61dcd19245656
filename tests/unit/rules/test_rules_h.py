"""H1: the date of the report (落款), RULES.md § H; and a generated report is clean for families E–H."""

from __future__ import annotations

import random
from datetime import date

import pytest
from helpers import TODAY, clean_report, findings, skipped

from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.rules.engine import Locator, Severity


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
