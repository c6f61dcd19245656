"""Family B: 表三 arithmetic (RULES.md § B)."""

from __future__ import annotations

from helpers import add_text, clean_report, findings, set_text, skipped

from workflow.domain.formats import T3_COLUMN_KEYS, FormatId
from workflow.domain.model import Report
from workflow.rules.engine import Locator, Severity


def _bump(r: Report, row: str, col: str, k: int = 1) -> None:
    t3 = r.tables["t3"]
    t3.set(row, col, (t3.value(row, col) or 0) + k)


def _move(r: Report, src: str, dst: str, col: str) -> None:
    """Move one request between rows of a column, keeping every sum."""
    _bump(r, src, col, -1)
    _bump(r, dst, col, +1)


# ---------------------------------------------------------------- B1


def test_B1_passes_on_clean_report() -> None:
    assert findings(clean_report(), "B1") == []


def test_B1_fires_on_wrong_row_total() -> None:
    r = clean_report()
    _bump(r, "granted", "total", 2)
    got = findings(r, "B1")
    assert len(got) == 1
    f = got[0]
    assert f.where == Locator(3, "t3", "granted", "total")
    assert (f.actual - f.expected, f.difference) == (2, 2)
    assert f.severity is Severity.ERROR


def test_B1_fires_once_per_wrong_row() -> None:
    r = clean_report()
    _bump(r, "granted", "commercial")
    _bump(r, "u1", "legal")
    assert {f.where.row for f in findings(r, "B1")} == {"granted", "u1"}


def test_B1_skips_a_row_with_a_blank_cell_instead_of_reading_zero() -> None:
    r = clean_report()
    r.tables["t3"].set("granted", "research", "")
    _bump(r, "granted", "total", 5)
    assert findings(r, "B1") == []
    assert any("予以公开" in reason for reason in skipped(r, "B1"))


# ---------------------------------------------------------------- B2


def test_B2_passes_on_clean_report() -> None:
    assert findings(clean_report(), "B2") == []


def test_B2_passes_when_requests_move_between_result_rows() -> None:
    r = clean_report()
    for col in ("natural", "total"):
        _move(r, "granted", "d6", col)
    assert findings(r, "B2") == [] and findings(r, "B1") == []


def test_B2_fires_on_wrong_column_total() -> None:
    r = clean_report()
    _bump(r, "n2", "natural")
    got = findings(r, "B2")
    assert [f.where for f in got] == [Locator(3, "t3", "total", "natural")]
    assert got[0].difference == -1  # the total is one short of the rows


def test_B2_fires_per_column() -> None:
    r = clean_report()
    for col in T3_COLUMN_KEYS:
        _bump(r, "o3", col)
    assert {f.where.column for f in findings(r, "B2")} == set(T3_COLUMN_KEYS)


def test_B2_passes_on_2019_format_with_single_other_row() -> None:
    r = clean_report()
    r.format = FormatId.F2019
    t3 = r.tables["t3"]
    for col in T3_COLUMN_KEYS:
        t3.set("o", col, sum(t3.value(k, col) or 0 for k in ("o1", "o2", "o3")))
    for k in ("o1", "o2", "o3"):
        del t3.rows[k]
    assert findings(r, "B2") == []


# ---------------------------------------------------------------- B3


def test_B3_passes_on_clean_report() -> None:
    assert findings(clean_report(), "B3") == []


def test_B3_fires_on_broken_balance() -> None:
    r = clean_report()
    _bump(r, "forward", "natural")
    got = findings(r, "B3")
    assert [f.where for f in got] == [Locator(3, "t3", "forward", "natural")]
    f = got[0]
    assert f.actual == f.expected + 1 and f.difference == 1
    assert "勾稽关系" in f.message


def test_B3_skips_when_new_row_is_missing() -> None:
    r = clean_report()
    del r.tables["t3"].rows["new"]
    assert findings(r, "B3") == [] and skipped(r, "B3")


# ---------------------------------------------------------------- B4


def test_B4_passes_on_clean_report() -> None:
    assert findings(clean_report(), "B4") == []


def test_B4_fires_when_forward_exceeds_new() -> None:
    r = clean_report()
    t3 = r.tables["t3"]
    new = t3.value("new", "welfare")
    _bump(r, "carried", "welfare", 3)
    _bump(r, "forward", "welfare", new + 3 - t3.value("forward", "welfare"))
    got = findings(r, "B4")
    assert Locator(3, "t3", "forward", "welfare") in {f.where for f in got}
    assert all(f.severity is Severity.WARNING for f in got)


# ---------------------------------------------------------------- B5


def test_B5_passes_on_clean_report() -> None:
    assert findings(clean_report(), "B5") == []


def _forward_total(r: Report, forward: int) -> None:
    """Set 总计 forward (and natural), keeping the balance by moving handled requests."""
    t3 = r.tables["t3"]
    k = forward - t3.value("forward", "total")
    for col in ("natural", "total"):
        _bump(r, "forward", col, k)
        _bump(r, "total", col, -k)
        _bump(r, "granted", col, -k)


def test_B5_fires_when_more_than_30_percent_carried_forward() -> None:
    r = clean_report()
    new = r.tables["t3"].value("new", "total")
    _forward_total(r, new // 2)
    assert findings(r, "B1") == findings(r, "B3") == []
    got = findings(r, "B5")
    assert [f.where for f in got] == [Locator(3, "t3", "forward", "total")]
    assert got[0].actual == new // 2


def test_B5_fires_when_text_says_all_handled_while_forward() -> None:
    r = clean_report()
    _forward_total(r, 1)
    add_text(r, 1, "全年共收到申请若干件，均在法定期限内予以答复，办结率 100%。")
    got = findings(r, "B5")
    assert any(f.where.section == 1 and "办结率" in f.message for f in got)


def test_B5_passes_when_all_handled_and_nothing_forward() -> None:
    r = clean_report()
    _forward_total(r, 0)
    add_text(r, 1, "均在法定期限内予以答复，办结率100%。")
    assert findings(r, "B5") == []


def test_B5_passes_on_all_cases_closed_which_is_about_lawsuits() -> None:
    r = clean_report()
    _forward_total(r, 1)
    add_text(r, 1, "行政复议案件2件，均已办结。")
    assert findings(r, "B5") == []


# ---------------------------------------------------------------- B6


def _o2(r: Report) -> None:
    for col in ("natural", "total"):
        _move(r, "granted", "o2", col)


def test_B6_passes_on_clean_report() -> None:
    assert findings(clean_report(), "B6") == []


def test_B6_fires_when_fee_refusals_but_section_six_silent() -> None:
    r = clean_report()
    _o2(r)
    set_text(r, 6, "暂无其他需要报告的事项。")
    got = findings(r, "B6")
    assert len(got) == 1 and got[0].where.row == "o2" and got[0].severity is Severity.WARNING


def test_B6_passes_when_section_six_reports_fee_notices() -> None:
    r = clean_report()
    _o2(r)
    set_text(r, 6, "本年度发出收费通知1件，收取信息处理费0元。")
    assert findings(r, "B6") == []


# ---------------------------------------------------------------- B7


def test_B7_passes_on_clean_report() -> None:
    assert findings(clean_report(), "B7") == []


def test_B7_fires_as_notice_on_state_secret_refusal() -> None:
    r = clean_report()
    for col in ("natural", "total"):
        _move(r, "granted", "d1", col)
    got = findings(r, "B7")
    assert len(got) == 1
    assert got[0].severity is Severity.NOTICE and got[0].where == Locator(3, "t3", "d1", "total")
