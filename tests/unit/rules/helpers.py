"""Fixture builders for the rule tests (both rule engineers import these: `from helpers import ...`).

Everything starts from `sample_report`, a consistent 2021-format report that passes every rule;
a test then breaks exactly the thing it is about.
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from workflow.domain.model import Report, Section
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate
from workflow.rules.engine import Finding, ValidationResult

SEED = 20261127
YEAR = 2026
TODAY = date(2027, 2, 1)  # the same "as of" day as tests/conftest.py AS_OF
DEPARTMENT = "西宁市湟中区教育局"  # county_department: may issue 行政规范性文件, no 规章
TOWNSHIP = "鲁沙尔镇人民政府"


def clean_report(seed: int = SEED, *, body_name: str = DEPARTMENT, year: int = YEAR) -> Report:
    """A consistent report with requests (so 表三 has numbers) for a county department."""
    return _sample(seed, body_name=body_name, year=year)


def clean_pair(seed: int = SEED, *, body_name: str = DEPARTMENT, year: int = YEAR) -> tuple[Report, Report]:
    """(previous, current): the same body's consistent reports for year-1 and year."""
    previous = _sample(seed, body_name=body_name, year=year - 1)
    current = _sample(seed + 1, body_name=body_name, year=year, previous=previous)
    return previous, current


def _sample(seed: int, *, body_name: str, year: int, previous: Report | None = None) -> Report:
    return sample_report(
        random.Random(seed), year=year, body_name=body_name, previous=previous, with_requests=True
    )


def check(report: Report, previous: Report | None = None) -> ValidationResult:
    return validate(report, previous, today=TODAY)


def findings(report: Report, rule_id: str, previous: Report | None = None) -> list[Finding]:
    """The findings of one rule on a report."""
    return check(report, previous).by_rule(rule_id)


def skipped(report: Report, rule_id: str, previous: Report | None = None) -> list[str]:
    """The reasons one rule was not assessed."""
    return [n.reason for n in check(report, previous).not_assessed if n.rule == rule_id]


def set_text(report: Report, section: int, text: str) -> None:
    """Replace a section's text, keeping its title."""
    old = report.sections.get(section)
    report.sections[section] = Section(old.title if old else None, text)


def add_text(report: Report, section: int, text: str) -> None:
    set_text(report, section, report.section_text(section) + text)


def corpus_report(corpus: Path, name: str, year: int | None = None) -> Report:
    """A real report of shared/corpus, imported from its text."""
    from workflow.importers import import_text  # the importer is another team's: import it only when used

    return import_text((corpus / f"{name}.txt").read_text(encoding="utf-8"), year=year).report


def family_findings(result: ValidationResult, families: str = "ABCD") -> list[Finding]:
    return [f for f in result.findings if f.rule[0] in families]
