"""Family F: the text against 表三 (RULES.md § F).  Statements are the real forms of the corpus."""

from __future__ import annotations

from decimal import Decimal

from helpers import TOWNSHIP, clean_report, findings, set_text, skipped

from workflow.domain.model import Report
from workflow.rules.engine import Locator, Severity


def _t3(r: Report, row: str, col: str = "total") -> int:
    v = r.table("t3").value(row, col)
    assert v is not None
    return int(v)


def _with_text(text: str, section: int = 1) -> Report:
    r = clean_report()
    set_text(r, section, text)
    return r


def _set_t3(r: Report, **rows: int) -> None:
    """Set 表三 总计 cells (other columns left alone: F rules read 总计 only)."""
    for row, v in rows.items():
        r.tables["t3"].set(row, "total", v)


# ---------------------------------------------------------------- F1
def test_F1_passes_on_clean_report_and_on_the_pingtan_2021_form() -> None:
    assert findings(clean_report(), "F1") == []
    r = clean_report()
    _set_t3(r, new=70, carried=0, total=69, forward=1)
    set_text(r, 1, "本年度全区共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理。")
    assert findings(r, "F1") == []


def test_F1_fires_when_received_differs_from_new() -> None:
    r = clean_report()
    new = _t3(r, "new")
    set_text(r, 1, f"全区收到政府信息公开申请 {new + 5} 件。")
    (f,) = findings(r, "F1")
    assert f.severity is Severity.ERROR
    assert f.where == Locator(1, "t3", "new", "total")
    assert (f.expected, f.actual, f.difference) == (new, new + 5, 5)


def test_F1_fires_as_warning_when_received_counts_carried_too_like_pingtan_2022() -> None:
    r = clean_report()
    _set_t3(r, new=74, carried=1, total=75, forward=0)
    set_text(
        r,
        1,
        "2026年，全区收到政府信息公开申请75件，涉及自然人72件、商业企业3件，均在法定期限内予以答复，办结率100%。",
    )
    (f,) = findings(r, "F1")
    assert f.severity is Severity.WARNING
    assert (f.expected, f.actual) == (74, 75)


def test_F1_passes_when_the_number_is_ambiguous_or_a_comparison() -> None:
    r = clean_report()
    new = _t3(r, "new")
    set_text(r, 1, f"全年收到申请{new + 1}件。另一口径收到申请{new + 2}件。")
    assert findings(r, "F1") == []
    assert any("不同的数字" in s for s in skipped(r, "F1"))
    set_text(r, 1, f"较上年收到申请{new + 9}件增加3件。2025年收到申请{new + 4}件。")
    assert findings(r, "F1") == []


def test_F1_passes_on_other_kinds_of_applications() -> None:
    r = _with_text("政务服务中心全年受理行政审批申请1200件，办结1180件。收到行政复议申请3件。")
    assert findings(r, "F1") == [] and findings(r, "F3") == []


# ---------------------------------------------------------------- F2
def test_F2_passes_on_clean_report() -> None:
    assert findings(clean_report(), "F2") == []


def test_F2_fires_when_carried_differs() -> None:
    r = clean_report()
    carried = _t3(r, "carried")
    set_text(r, 1, f"全年新收申请{_t3(r, 'new')}件，上年结转 {carried + 2} 件。")
    (f,) = findings(r, "F2")
    assert f.where == Locator(1, "t3", "carried", "total")
    assert (f.expected, f.actual) == (carried, carried + 2)


# ---------------------------------------------------------------- F3
def test_F3_passes_on_clean_report() -> None:
    assert findings(clean_report(), "F3") == []


def test_F3_fires_when_handled_differs() -> None:
    r = clean_report()
    handled = _t3(r, "total")
    set_text(r, 1, f"本年度共收到{_t3(r, 'new')}件申请，及时依法依规办结{handled + 1}件。")
    (f,) = findings(r, "F3")
    assert f.where == Locator(1, "t3", "total", "total")
    assert f.difference == 1


def test_F3_passes_on_a_rate_or_a_hotline() -> None:
    r = _with_text("共收到申请5件，均在法定期限内予以答复，办结率100%。12345热线办结工单300件。")
    assert findings(r, "F3") == []


# ---------------------------------------------------------------- F4
def test_F4_passes_on_clean_report_and_number_before_keyword() -> None:
    assert findings(clean_report(), "F4") == []
    r = clean_report()
    _set_t3(r, new=70, carried=0, total=69, forward=1)
    set_text(r, 1, "本年度全区共收到70件申请，及时依法依规办结69件，1件结转下年度继续办理。")
    assert findings(r, "F4") == []


def test_F4_fires_when_forward_differs() -> None:
    r = clean_report()
    _set_t3(r, new=70, carried=0, total=69, forward=1)
    set_text(r, 1, "本年度全区共收到70件申请，及时依法依规办结68件，2件结转下年度继续办理。")
    got = {f.where: f for f in findings(r, "F4")}
    assert got[Locator(1, "t3", "forward", "total")].actual == 2


def test_F4_fires_when_the_text_does_not_balance() -> None:
    r = clean_report()
    _set_t3(r, new=10, carried=2, total=10, forward=3)  # the table itself is B3's business
    set_text(r, 1, "全年新收政府信息公开申请10件，上年结转2件，办结10件，结转下年度继续办理3件。")
    (f,) = findings(r, "F4")
    assert f.where == Locator(1, row="文字勾稽")
    assert (f.expected, f.actual) == (12, 13)


# ---------------------------------------------------------------- F5
def test_F5_passes_on_clean_report_and_matching_groups() -> None:
    assert findings(clean_report(), "F5") == []
    r = clean_report()
    granted, partial = _t3(r, "granted"), _t3(r, "partial")
    set_text(r, 1, f"办结申请{_t3(r, 'total')}件，其中予以公开{granted}件、部分公开{partial}件。")
    assert findings(r, "F5") == []


def test_F5_fires_when_a_group_differs() -> None:
    r = clean_report()
    refused = sum(_t3(r, f"d{i}") for i in range(1, 9))
    set_text(r, 1, f"办结申请{_t3(r, 'total')}件，其中不予公开{refused + 3}件。")
    (f,) = findings(r, "F5")
    assert f.where == Locator(1, "t3", "refused", "total")
    assert (f.expected, f.actual) == (refused, refused + 3)


def test_F5_passes_on_proactive_disclosure_wording() -> None:
    r = _with_text("依申请予以公开政府信息300条，主动予以公开文件12件。")
    assert findings(r, "F5") == []


# ---------------------------------------------------------------- F6
def test_F6_passes_within_rounding() -> None:
    r = clean_report()
    _set_t3(r, new=70, carried=0, total=69, forward=1, granted=30)
    set_text(r, 1, "本年度收到申请70件，其中予以公开30件，占43.5%；自然人申请64件，占91%。")
    assert findings(r, "F6") == []


def test_F6_fires_on_a_wrong_percentage() -> None:
    r = clean_report()
    _set_t3(r, new=70, carried=0, total=69, forward=1, granted=30)
    set_text(r, 1, "本年度收到申请70件，其中予以公开30件，占48.5%。")
    (f,) = findings(r, "F6")
    assert f.severity is Severity.WARNING
    assert f.expected == Decimal("43.5") and f.actual == Decimal("48.5")


# ---------------------------------------------------------------- F7
def test_F7_passes_on_pingtan_2022_form_counting_carried() -> None:
    r = clean_report()
    t = r.tables["t3"]
    t.set("new", "natural", 71)
    t.set("carried", "natural", 1)
    t.set("new", "commercial", 3)
    set_text(r, 1, "全区收到政府信息公开申请75件，涉及自然人72件、商业企业3件。")
    assert findings(r, "F7") == []


def test_F7_fires_when_applicants_differ() -> None:
    r = clean_report()
    natural = _t3(r, "new", "natural")
    carried = _t3(r, "carried", "natural")
    set_text(r, 1, f"共收到申请，其中自然人申请{natural + carried + 4}件。")
    (f,) = findings(r, "F7")
    assert f.where == Locator(1, "t3", "new", "natural")
    assert f.expected == natural


# ---------------------------------------------------------------- F9
LUSHAER_F9 = (
    "全年我镇共通过微信公众号公开政府信息 102 条，其中包括政策宣传信息 31 条、政府工作及会务公开相关信息 14 条、"
    "党风廉政建设信息 21 条、卫生防疫信息 22 条、安全生产信息 8 条、平安建设信息 6 条。"
)


def test_F9_passes_on_lushaer_breakdown() -> None:
    assert findings(_with_text(LUSHAER_F9), "F9") == []
    assert findings(_with_text("公开信息100条，其中政策文件30条、工作动态40条等。"), "F9") == []


def test_F9_fires_when_parts_do_not_add_up() -> None:
    (f,) = findings(_with_text(LUSHAER_F9.replace("6 条。", "9 条。")), "F9")
    assert (f.expected, f.actual) == (102, 105)
    assert f.where == Locator(1, row="公开102条")
    (g,) = findings(_with_text("公开信息100条，其中政策文件80条、工作动态40条等。"), "F9")
    assert g.actual == 120


# ---------------------------------------------------------------- F10
LUSHAER_F10 = "截至 2026 年 12 月 31 日，鲁沙尔镇未收到依申请公开申请信息。"


def test_F10_passes_when_tables_are_zero() -> None:
    r = clean_report(body_name=TOWNSHIP)
    _set_t3(r, new=0, carried=0, total=0, forward=0)
    set_text(r, 1, LUSHAER_F10)
    assert findings(r, "F10") == []


def test_F10_fires_when_table_has_requests() -> None:
    r = clean_report()
    new = _t3(r, "new")
    set_text(r, 1, LUSHAER_F10)
    got = {f.where.row: f for f in findings(r, "F10")}
    assert got["new"].actual == new and got["new"].severity is Severity.ERROR


def test_F10_passes_and_skips_when_new_row_is_missing_like_lushaer() -> None:
    r = clean_report(body_name=TOWNSHIP)
    _set_t3(r, carried=0)
    del r.tables["t3"].rows["new"]
    set_text(r, 1, LUSHAER_F10)
    assert findings(r, "F10") == []
    assert skipped(r, "F10")
