"""Family E: across years (RULES.md § E)."""

from __future__ import annotations

from helpers import TODAY, TOWNSHIP, clean_pair, clean_report, findings, set_text, skipped

from workflow.rules.catalog import validate
from workflow.rules.engine import Locator, Severity
from workflow.rules.textscan import normalize
from workflow.rules.years import _similarity


# ---------------------------------------------------------------- E1
def test_E1_passes_on_a_consistent_pair() -> None:
    prev, cur = clean_pair()
    assert findings(cur, "E1", prev) == []


def test_E1_fires_per_column_when_carried_differs_from_last_years_forward() -> None:
    prev, cur = clean_pair()
    before = prev.table("t3").value("forward", "natural")
    assert before is not None
    cur.tables["t3"].set("carried", "natural", before + 2)
    (f,) = findings(cur, "E1", prev)
    assert f.severity is Severity.ERROR
    assert f.where == Locator(3, "t3", "carried", "natural")
    assert (f.expected, f.actual, f.difference) == (before, before + 2, 2)


def test_E1_fires_as_warning_when_previous_was_imported() -> None:
    prev, cur = clean_pair()
    before = prev.table("t3").value("forward", "total")
    assert before is not None
    cur.tables["t3"].set("carried", "total", before + 1)
    got = validate(cur, prev, previous_imported=True, today=TODAY).by_rule("E1")
    assert [f.severity for f in got] == [Severity.WARNING]


def test_E1_passes_and_skips_without_previous_or_with_the_wrong_year() -> None:
    prev, cur = clean_pair()
    assert findings(cur, "E1") == [] and skipped(cur, "E1")
    prev.header.year = 2020
    assert findings(cur, "E1", prev) == [] and skipped(cur, "E1", prev)


# ---------------------------------------------------------------- E3
def test_E3_passes_on_own_text_mentioning_last_year() -> None:
    prev, cur = clean_pair()
    set_text(prev, 5, "（一）存在的问题：政策解读形式较为单一。（二）改进情况：运用图解方式丰富解读。")
    assert findings(cur, "E3", prev) == []
    assert findings(clean_report(), "E3") == []


def test_E3_fires_when_five_is_copied_from_last_year() -> None:
    prev, cur = clean_pair()
    set_text(prev, 5, cur.section_text(5).replace("2026", "2025"))
    (f,) = findings(cur, "E3", prev)
    assert f.where == Locator(5) and f.severity is Severity.WARNING


def test_E3_fires_without_previous_when_last_years_problems_are_not_mentioned() -> None:
    r = clean_report(body_name=TOWNSHIP)
    set_text(r, 5, "存在的主要问题：一是培训不足。改进情况：一是加强培训，提升水平。")
    (f,) = findings(r, "E3")
    assert f.where == Locator(5, row="上年问题整改") and f.severity is Severity.WARNING


def test_similarity_ignores_changed_years() -> None:
    a = normalize("2025年，我局政务公开工作存在公开专栏更新不及时的问题，将建立台账。")
    assert _similarity(a, a.replace("2025", "2026")) == 1.0
    assert _similarity(a, "完全不同的一段文字，讲的是别的事情，没有重复。") < 0.2


# ---------------------------------------------------------------- E4
def test_E4_passes_on_clean_report_and_a_fuller_body_name() -> None:
    assert findings(clean_report(), "E4") == []
    r = clean_report(body_name=TOWNSHIP)
    r.header.title = "西宁市湟中区鲁沙尔镇人民政府2026年政府信息公开工作年度报告"
    set_text(
        r,
        1,
        "2026年，鲁沙尔镇严格遵守《条例》规定。现将我镇2026年政府信息公开工作报告如下：" + r.section_text(1),
    )
    assert findings(r, "E4") == []


def test_E4_fires_on_title_and_period_years() -> None:
    r = clean_report()
    r.header.title = r.header.title.replace("2026", "2025")
    r.header.period_text = "本报告所列数据的统计期限为2025年1月1日至2025年12月31日。"
    got = {f.where.row: f for f in findings(r, "E4")}
    assert got["标题"].actual == 2025 and got["统计期限"].expected == 2026
    assert all(f.severity is Severity.ERROR for f in got.values())


def test_E4_fires_on_a_leftover_year_in_section_one() -> None:
    r = clean_report()
    set_text(r, 1, "2025年，我局严格遵守《条例》规定。" + r.section_text(1))
    (f,) = findings(r, "E4")
    assert f.where == Locator(1) and f.actual == 2025


def test_E4_fires_on_another_bodys_name_in_the_title() -> None:
    r = clean_report(body_name=TOWNSHIP)
    r.header.title = "多巴镇人民政府2026年政府信息公开工作年度报告"
    (f,) = findings(r, "E4")
    assert f.where == Locator(row="单位名称") and f.actual == "多巴镇人民政府"


# ---------------------------------------------------------------- E5
def test_E5_passes_on_ordinary_changes() -> None:
    prev, cur = clean_pair()
    prev.tables["t3"].set("new", "total", 40)
    cur.tables["t3"].set("new", "total", 100)  # ×2.5: not sharp
    assert findings(cur, "E5", prev) == []


def test_E5_fires_on_a_threefold_change_of_twenty_or_more() -> None:
    prev, cur = clean_pair()
    prev.tables["t3"].set("new", "total", 10)
    cur.tables["t3"].set("new", "total", 30)  # ×3 and +20
    prev.tables["t4"].set("review", "total", 0)
    cur.tables["t4"].set("review", "total", 25)
    got = {f.where for f in findings(cur, "E5", prev)}
    assert got == {Locator(3, "t3", "new", "total"), Locator(4, "t4", "review", "total")}
    assert all(f.severity is Severity.NOTICE for f in findings(cur, "E5", prev))


def test_E4_fires_only_as_warning_on_a_sibling_department_name() -> None:
    r = clean_report()  # 西宁市湟中区教育局
    r.header.title = "西宁市湟中区民政局2026年政府信息公开工作年度报告"
    (f,) = findings(r, "E4")
    assert f.severity is Severity.WARNING and f.where == Locator(row="单位名称")
