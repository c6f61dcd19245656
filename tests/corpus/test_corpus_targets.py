"""Issue #14's acceptance on the real-report corpus, scored by bench/corpus.py: recall of the
hand-written findings >= 0.95, no false error, no rule more than 10 times in one report."""

from __future__ import annotations

from bench.corpus import TARGET_MAX_PER_RULE, TARGET_RECALL, beyond_cut, matches, score_all
from workflow.domain.formats import FormatId
from workflow.rules.engine import Finding, Locator, Severity


def test_corpus_meets_the_targets() -> None:
    scores, tot = score_all()
    assert not tot.unreadable
    missed = [f"{s.name}: {m}" for s in scores for m in s.missed]
    assert tot.recall >= TARGET_RECALL, "\n".join(missed)
    false = [f"{s.name}: {e}" for s in scores for e in s.false_errors + s.over_severe]
    assert tot.errors_false == 0, "\n".join(false)
    assert not tot.flooding_files, f"more than {TARGET_MAX_PER_RULE} of one rule: {tot.flooding_files}"


def test_every_report_is_read_and_scored() -> None:
    scores, tot = score_all()
    assert len(scores) >= 20
    assert all(s.header for s in scores if not s.error)
    assert tot.expected > 0


def _f(rule: str, severity: Severity = Severity.ERROR, **where: object) -> Finding:
    return Finding(rule, severity, "", Locator(**where))  # type: ignore[arg-type]


def test_locators_match_at_the_stated_granularity() -> None:
    table_level = {"rule": "A1", "where": {"table": "t3"}}
    assert matches(table_level, _f("A1", section=3, table="t3", row="new", column="natural"))
    assert not matches(table_level, _f("A1", section=2, table="t2", row="regulations"))
    assert not matches(table_level, _f("A2", section=3, table="t3"))
    row_level = {"rule": "A1", "where": {"table": "t3", "row": "new"}}
    assert matches(row_level, _f("A1", section=3, table="t3"))  # one finding for the whole table
    assert not matches(row_level, _f("A1", section=3, table="t3", row="carried"))
    text_level = {"rule": "G3", "where": {"section": 1, "row": "监督保障"}}
    assert not matches(text_level, _f("G3", section=1))  # a text finding must name its aspect
    assert matches({"rule": ["F1", "F3"]}, _f("F3"))


def test_what_lies_past_the_cut_is_not_scored() -> None:
    cut = {"section": 3, "table": "t3", "row": "carried", "title_kept": False}
    fmt = FormatId.F2021
    assert beyond_cut(cut, _f("G1", section=5), fmt)
    assert beyond_cut(cut, _f("G2", section=4, table="t4"), fmt)
    assert beyond_cut(cut, _f("A1", section=3, table="t3", row="total", column="total"), fmt)
    assert beyond_cut(cut, _f("B3", section=3, table="t3"), fmt)
    assert beyond_cut(cut, _f("G6", Severity.WARNING, row="标题"), fmt)
    assert not beyond_cut(cut, _f("A1", section=3, table="t3", row="new", column="natural"), fmt)
    assert not beyond_cut(cut, _f("D3", section=2, table="t2", row="regulations"), fmt)
    assert not beyond_cut(cut, _f("G5", row="统计期限"), fmt)
    assert not beyond_cut({"section": 1}, _f("G8", Severity.WARNING, section=1), fmt)
    assert beyond_cut({"section": 1}, _f("G3", Severity.WARNING, section=1, row="监督保障"), fmt)
