"""Properties of families A–D over generated reports (hypothesis).

A consistent report has no finding from A–D; any single number cell of 表三/表四 changed by k ≠ 0
makes an arithmetic rule (B1, B2, B3 or C1) fire, pointing at the changed cell's row or column.
"""

from __future__ import annotations

import random

from helpers import TODAY
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.domain.formats import FORMATS, FormatId
from workflow.domain.samples import sample_report
from workflow.rules.catalog import validate

FAMILIES = ("A", "B", "C", "D")
ARITHMETIC = {"B1", "B2", "B3", "C1"}
CELLS = [
    (t.id, row.key, col.key)
    for t in FORMATS[FormatId.F2021].tables
    if t.id in ("t3", "t4")
    for row in t.rows
    for col in row.columns
]

seeds = st.integers(min_value=0, max_value=2**32 - 1)


@settings(max_examples=200, deadline=None)
@given(seed=seeds, with_requests=st.booleans())
def test_consistent_report_has_no_finding_from_families_a_to_d(seed: int, with_requests: bool) -> None:
    rng = random.Random(seed)
    previous = sample_report(rng, year=2025, with_requests=with_requests)
    report = sample_report(rng, year=2026, body_name=previous.header.body_name, previous=previous)
    result = validate(report, previous, today=TODAY)
    ours = [f for f in result.findings if f.rule[0] in FAMILIES]
    assert ours == []
    assert [n for n in result.not_assessed if n.rule[0] in FAMILIES] == []


@settings(max_examples=200, deadline=None)
@given(seed=seeds, cell=st.sampled_from(CELLS), k=st.integers(-5, 5).filter(bool))
def test_any_perturbed_cell_makes_arithmetic_rule_fire(seed: int, cell: tuple[str, str, str], k: int) -> None:
    report = sample_report(random.Random(seed), with_requests=True)
    table_id, row, col = cell
    table = report.tables[table_id]
    table.set(row, col, table.value(row, col) + k)
    fired = [f for f in validate(report, today=TODAY).findings if f.rule in ARITHMETIC]
    assert fired, f"no arithmetic finding after changing {cell} by {k}"
    assert all(f.where.table == table_id for f in fired)
    assert any(f.where.row == row or f.where.column == col for f in fired)
