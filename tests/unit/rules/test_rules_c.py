"""Family C: 表四 行政复议、行政诉讼 (RULES.md § C)."""

from __future__ import annotations

from helpers import add_text, clean_report, corpus_report, findings, set_text, skipped

from workflow.domain.formats import T3_COLUMN_KEYS, T4_COLUMN_KEYS
from workflow.domain.model import Report
from workflow.rules.engine import Locator, Severity


def _t4(r: Report, group: str, upheld: int = 0, corrected: int = 0, other: int = 0, pending: int = 0) -> None:
    t4 = r.tables["t4"]
    for col, v in zip(T4_COLUMN_KEYS, (upheld, corrected, other, pending), strict=False):
        t4.set(group, col, v)
    t4.set(group, "total", upheld + corrected + other + pending)


def _no_requests(r: Report) -> None:
    t3 = r.tables["t3"]
    for row in t3.rows:
        for col in T3_COLUMN_KEYS:
            t3.set(row, col, 0)
    set_text(r, 1, "全年未收到政府信息公开申请。")


# ---------------------------------------------------------------- C1


def test_C1_passes_on_clean_report() -> None:
    assert findings(clean_report(), "C1") == []


def test_C1_fires_on_wrong_group_total() -> None:
    r = clean_report()
    _t4(r, "after_review", upheld=1, other=1)
    r.tables["t4"].set("after_review", "total", 3)
    got = findings(r, "C1")
    assert [f.where for f in got] == [Locator(4, "t4", "after_review", "total")]
    assert (got[0].expected, got[0].actual, got[0].difference) == (2, 3, 1)


def test_C1_skips_blank_group_and_checks_the_others() -> None:
    r = clean_report()
    for col in T4_COLUMN_KEYS:
        r.tables["t4"].set("review", col, "")  # lushaer_2024
    _t4(r, "direct", other=1)
    r.tables["t4"].set("direct", "total", 2)
    assert [f.where.row for f in findings(r, "C1")] == ["direct"]
    # C1 reported a finding, so it is not also listed as not assessed (issue #14 class 9).
    assert skipped(r, "C1") == []


def test_C1_names_the_blank_group_when_nothing_else_is_wrong() -> None:
    r = clean_report()
    for col in T4_COLUMN_KEYS:
        r.tables["t4"].set("review", col, "")  # lushaer_2024
    assert findings(r, "C1") == []
    assert any("行政复议" in reason for reason in skipped(r, "C1"))


# ---------------------------------------------------------------- C2


def test_C2_passes_on_clean_report() -> None:
    assert findings(clean_report(), "C2") == []


def test_C2_passes_on_pingtan_2022_statement() -> None:
    r = clean_report()
    _t4(r, "review", corrected=1, other=1)
    _t4(r, "direct", upheld=1)
    _t4(r, "after_review")
    add_text(r, 1, "2022年，全区政府信息公开工作方面共有行政诉讼案件1件、行政复议案件2件，均已结案。")
    assert findings(r, "C2") == []


def test_C2_fires_on_review_count_differing_from_table() -> None:
    r = clean_report()
    _t4(r, "review", upheld=2)
    add_text(r, 1, "本年度发生政府信息公开行政复议 3 件。")
    got = findings(r, "C2")
    assert [f.where for f in got] == [Locator(4, "t4", "review", "total")]
    assert (got[0].expected, got[0].actual) == (2, 3)


def test_C2_fires_on_lawsuit_count_against_both_litigation_groups() -> None:
    r = clean_report()
    _t4(r, "direct", upheld=1)
    _t4(r, "after_review", upheld=1)
    set_text(r, 4, "本年度被提起政府信息公开行政诉讼1件。")
    got = findings(r, "C2")
    assert len(got) == 1 and (got[0].expected, got[0].actual) == (2, 1)


def test_C2_passes_when_text_gives_two_numbers_for_a_statement() -> None:
    r = clean_report()
    _t4(r, "review", upheld=2)
    add_text(r, 1, "行政复议3件。")
    add_text(r, 4, "行政复议4件。")
    assert findings(r, "C2") == []  # ambiguous: not compared


def test_C2_passes_on_joint_count_of_review_and_lawsuits() -> None:
    r = clean_report()
    _t4(r, "review", upheld=1)
    _t4(r, "direct", upheld=1)
    add_text(r, 1, "全年发生行政复议、行政诉讼案件共2件。行政复议和行政诉讼案件2件。")
    assert findings(r, "C2") == []


def test_C2_passes_on_review_followed_by_lawsuit() -> None:
    r = clean_report()
    _t4(r, "after_review", upheld=1)
    _t4(r, "direct")
    add_text(r, 4, "复议后起诉1件。")
    assert findings(r, "C2") == []


# ---------------------------------------------------------------- C3


def test_C3_passes_on_clean_report() -> None:
    assert findings(clean_report(), "C3") == []


def test_C3_passes_on_all_closed_with_corrected_cases() -> None:
    # pingtan_2022: "均已结案" while 结果纠正 = 1 — a corrected case is closed too.
    r = clean_report()
    _t4(r, "review", corrected=1, other=1)
    add_text(r, 1, "共有行政诉讼案件1件、行政复议案件2件，均已结案。")
    assert findings(r, "C3") == []


def test_C3_fires_on_all_closed_with_pending_case() -> None:
    r = clean_report()
    _t4(r, "direct", upheld=1, pending=1)
    add_text(r, 4, "本年度行政诉讼案件均已结案。")
    got = findings(r, "C3")
    assert [f.where for f in got] == [Locator(4, "t4", "direct", "pending")]
    assert got[0].severity is Severity.WARNING


def test_C3_fires_on_zero_lost_with_corrected_case() -> None:
    r = clean_report()
    _t4(r, "after_review")
    _t4(r, "direct", corrected=1)
    add_text(r, 4, "行政诉讼案件实现零败诉。")
    assert [f.where for f in findings(r, "C3")] == [Locator(4, "t4", "direct", "corrected")]


# ---------------------------------------------------------------- C4


def test_C4_passes_on_clean_report() -> None:
    assert findings(clean_report(), "C4") == []


def test_C4_passes_with_no_cases_and_no_requests() -> None:
    r = clean_report()
    _no_requests(r)
    for g in ("review", "direct", "after_review"):
        _t4(r, g)
    assert findings(r, "C4") == []


def test_C4_fires_on_lawsuit_without_requests() -> None:
    r = clean_report()
    _no_requests(r)
    _t4(r, "direct", other=1)
    got = findings(r, "C4")
    assert [f.where for f in got] == [Locator(4, "t4", "direct", "total")]
    assert got[0].severity is Severity.WARNING


def test_C4_fires_on_lushaer_shape_new_row_missing_uses_total_and_forward() -> None:
    r = clean_report()
    _no_requests(r)
    del r.tables["t3"].rows["new"]
    _t4(r, "direct", other=1)
    assert len(findings(r, "C4")) == 1


def test_C4_fires_from_text_when_table_three_rows_missing() -> None:
    r = clean_report()
    _no_requests(r)
    for row in ("new", "carried", "total", "forward"):
        del r.tables["t3"].rows[row]
    set_text(r, 1, "截至 2024 年 12 月 31 日，鲁沙尔镇未收到依申请公开申请信息。")
    _t4(r, "direct", other=1)
    assert len(findings(r, "C4")) == 1


def test_C4_skips_when_nothing_says_how_many_requests() -> None:
    r = clean_report()
    _no_requests(r)
    for row in ("new", "total"):
        del r.tables["t3"].rows[row]
    set_text(r, 1, "")
    _t4(r, "direct", other=1)
    assert findings(r, "C4") == [] and skipped(r, "C4")


# ---------------------------------------------------------------- the corpus


def test_C2_passes_on_pingtan_2022_and_fires_once_its_table_disagrees(corpus) -> None:
    r = corpus_report(corpus, "pingtan_2022")
    assert findings(r, "C2") == []  # "行政诉讼案件1件、行政复议案件2件" = 表四
    r.tables["t4"].set("review", "total", 3)
    got = findings(r, "C2")
    assert [(f.where.row, f.expected, f.actual) for f in got] == [("review", 3, 2)]


def test_C3_passes_on_pingtan_2022_all_closed_with_a_corrected_case(corpus) -> None:
    r = corpus_report(corpus, "pingtan_2022")
    assert r.tables["t4"].value("review", "corrected") == 1
    assert findings(r, "C3") == []


def test_C4_fires_on_lushaer_2024(corpus) -> None:
    r = corpus_report(corpus, "lushaer_2024", year=2024)
    got = findings(r, "C4")
    assert [f.where for f in got] == [Locator(4, "t4", "direct", "total")]
