"""Family G: structure and wording (RULES.md § G)."""

from __future__ import annotations

from helpers import TOWNSHIP, clean_report, findings, set_text, skipped

from workflow.domain.model import Section
from workflow.rules.engine import Locator, Severity


# ---------------------------------------------------------------- G1
def test_G1_passes_on_clean_report_and_loose_punctuation() -> None:
    assert findings(clean_report(), "G1") == []
    r = clean_report()
    r.sections[3] = Section("三 、 收到和处理政府信息公开申请情况：", r.section_text(3))
    assert findings(r, "G1") == []


def test_G1_fires_on_a_missing_section_title_like_lushaer() -> None:
    r = clean_report(body_name=TOWNSHIP)
    r.sections[3] = Section(None, "")
    (f,) = findings(r, "G1")
    assert f.severity is Severity.ERROR
    assert f.where == Locator(3)


def test_G1_fires_on_a_missing_section() -> None:
    r = clean_report()
    del r.sections[5]
    (f,) = findings(r, "G1")
    assert f.where == Locator(5) and f.severity is Severity.ERROR


def test_G1_fires_as_warning_on_a_reworded_title_like_pingtan_2022() -> None:
    r = clean_report()
    r.sections[4] = Section("四、政府信息公开行政法复议、行政诉讼情况", "")
    (f,) = findings(r, "G1")
    assert f.severity is Severity.WARNING
    assert f.where == Locator(4)


def test_G1_fires_on_sections_out_of_order() -> None:
    r = clean_report()
    r.sections[5], r.sections[6] = (
        Section("六、其他需要报告的事项", r.section_text(6)),
        Section("五、存在的主要问题及改进情况", r.section_text(5)),
    )
    got = findings(r, "G1")
    assert {f.where.section for f in got} == {5, 6}
    assert all(f.severity is Severity.ERROR for f in got)


# ---------------------------------------------------------------- G2
def test_G2_passes_on_clean_report() -> None:
    assert findings(clean_report(), "G2") == []


def test_G2_fires_on_a_table_that_is_only_a_heading() -> None:
    r = clean_report()
    r.tables["t4"].present = False
    del r.tables["t2"]
    got = {f.where for f in findings(r, "G2")}
    assert got == {Locator(4, "t4"), Locator(2, "t2")}


# ---------------------------------------------------------------- G3
def test_G3_passes_on_clean_report_for_government_and_department() -> None:
    assert findings(clean_report(), "G3") == []
    assert findings(clean_report(body_name=TOWNSHIP), "G3") == []


def test_G3_fires_once_per_missing_aspect() -> None:
    r = clean_report()
    set_text(r, 1, "（一）主动公开。通过网站公开信息。\n（二）依申请公开。规范办理。\n（四）平台载体建设。")
    got = {f.where.row for f in findings(r, "G3")}
    assert got == {"政府信息管理", "监督保障"}


def test_G3_fires_on_a_government_without_assessment_and_accountability() -> None:
    r = clean_report(body_name="西宁市湟中区人民政府")
    set_text(r, 1, r.section_text(1).replace("考核", "检查").replace("社会评议", "").replace("责任追究", ""))
    got = {f.where.row for f in findings(r, "G3")}
    assert {"工作考核", "社会评议", "责任追究"} <= got
    # A department need not report them, nor a township (no real 乡镇 report does: docs/rules-changes.md).
    t = clean_report(body_name=TOWNSHIP)
    set_text(t, 1, t.section_text(1).replace("考核", "检查").replace("社会评议", "").replace("责任追究", ""))
    assert not {"工作考核", "社会评议", "责任追究"} & {f.where.row for f in findings(t, "G3")}
    d = clean_report()
    set_text(d, 1, d.section_text(1).replace("考核", "检查"))
    assert findings(d, "G3") == []


# ---------------------------------------------------------------- G4
def test_G4_passes_on_clean_report_and_pingtan_form() -> None:
    assert findings(clean_report(), "G4") == []
    r = clean_report()
    set_text(r, 6, "2026年，无收取信息处理费情况。")
    assert findings(r, "G4") == []


def test_G4_fires_on_lushaer_statement_and_bare_none() -> None:
    for text in ("暂无其它需要报告的事项。", "无", ""):
        r = clean_report()
        set_text(r, 6, text)
        (f,) = findings(r, "G4")
        assert f.where == Locator(6) and f.severity is Severity.ERROR


def test_G4_passes_before_2021_and_skips_without_section_six() -> None:
    r = clean_report(year=2020)
    set_text(r, 6, "无")
    assert findings(r, "G4") == []
    r = clean_report()
    del r.sections[6]
    assert findings(r, "G4") == [] and skipped(r, "G4")


# ---------------------------------------------------------------- G5
def test_G5_passes_on_the_accepted_forms() -> None:
    for text in (
        "本报告所列数据的统计期限为2026年1月1日至2026年12月31日。",
        "本报告所列数据的统计期限自2026年1月1日起至2026年12月31日止。",
        "本报告中所列数据统计时限为2026 年 1 月 1 日至 2026 年 12 月 31 日。",
    ):
        r = clean_report()
        r.header.period_text = text
        assert findings(r, "G5") == [], text


def test_G5_fires_on_wrong_dates_as_error() -> None:
    r = clean_report()
    r.header.period_text = "本报告所列数据的统计期限为2026年1月1日至2026年12月30日。"
    (f,) = findings(r, "G5")
    assert f.severity is Severity.ERROR and f.where == Locator(row="统计期限")


def test_G5_fires_as_warning_when_absent() -> None:
    r = clean_report()
    r.header.period_text = ""
    r.header.period_start = r.header.period_end = None
    r.preamble = "根据《条例》编制本报告。"
    (f,) = findings(r, "G5")
    assert f.severity is Severity.WARNING


# ---------------------------------------------------------------- G6
def test_G6_passes_on_clean_report_and_year_with_du() -> None:
    assert findings(clean_report(), "G6") == []
    r = clean_report()
    r.header.title = f"{r.header.body_name}2026年度政府信息公开工作年度报告"
    assert findings(r, "G6") == []


def test_G6_fires_on_lushaer_title_without_year() -> None:
    r = clean_report(body_name=TOWNSHIP)
    r.header.title = "鲁沙尔镇人民政府信息公开工作 年度报告"
    (f,) = findings(r, "G6")
    assert f.severity is Severity.WARNING and f.where == Locator(row="标题")


def test_G6_fires_on_a_short_form_of_the_body_name() -> None:
    r = clean_report()  # 西宁市湟中区教育局
    r.header.title = "湟中区教育局2026年政府信息公开工作年度报告"
    (f,) = findings(r, "G6")
    assert f.expected == "西宁市湟中区教育局"


# ---------------------------------------------------------------- G7
def test_G7_passes_on_clean_report_and_party_words_without_counts() -> None:
    assert findings(clean_report(), "G7") == []
    r = clean_report()
    set_text(r, 1, r.section_text(1) + "坚持党建引领，加强党风廉政建设。")
    assert findings(r, "G7") == []


def test_G7_fires_on_lushaer_party_items() -> None:
    r = clean_report(body_name=TOWNSHIP)
    set_text(r, 1, r.section_text(1) + "其中包括政策宣传信息 31 条、党风廉政建设信息 21 条、工会活动 3 篇。")
    (f,) = findings(r, "G7")
    assert f.actual == "党风廉政、工会"


# ---------------------------------------------------------------- G8
def test_G8_passes_on_exact_counts() -> None:
    assert findings(clean_report(), "G8") == []
    r = clean_report()
    set_text(r, 1, r.section_text(1) + "公开信息300条，其余事项另行说明。")
    assert findings(r, "G8") == []


def test_G8_fires_on_vague_counts() -> None:
    r = clean_report()
    set_text(r, 1, r.section_text(1) + "公开信息300余条，解读近百条，开展培训数十次。")
    (f,) = findings(r, "G8")
    assert f.actual == "300余条、近百条、数十次"


# ---------------------------------------------------------------- G9
LUSHAER_5 = (
    "(一) 存在的主要问题\n2024年，鲁沙尔镇持续落实区委、区政府关于政府信息公开工作的相关要求，有效保障了群众的知情权。"
    "但在工作中也存在一些不足，一是对于业务干部关于政府信息公开工作方面的培训教育仍需加强；二是信息公开内容的全面性可进一步提高。\n"
    "(二) 改进情况\n今后，我镇将进一步按照《条例》规定和省、市、区关于政府信息公开的相关要求，一是加强培训教育，"
    "提升工作人员政府信息公开工作水平；二是持续完善信息内容的全面性，让群众能够更好地理解政策。"
)


def test_G9_passes_on_lushaer_and_a_short_concrete_text() -> None:
    r = clean_report(body_name=TOWNSHIP)
    set_text(r, 5, LUSHAER_5)
    assert findings(r, "G9") == []
    set_text(r, 5, "公开专栏更新不及时。改进措施：建立更新台账，每月检查一次。")
    assert findings(r, "G9") == []


def test_G9_fires_on_empty_none_and_vague() -> None:
    for text in ("", "无", "暂无。", "我单位政府信息公开工作总体良好。"):
        r = clean_report()
        set_text(r, 5, text)
        (f,) = findings(r, "G9")
        assert f.severity is Severity.ERROR and f.where == Locator(5), text


def test_G4_passes_on_a_plain_fee_statement() -> None:
    r = clean_report()
    set_text(r, 6, "本年度依申请公开政府信息未收取任何费用。")
    assert findings(r, "G4") == []


def test_G5_passes_when_the_end_year_is_implicit() -> None:
    r = clean_report()
    r.header.period_text = "本报告所列数据的统计期限为2026年1月1日至12月31日。"
    assert findings(r, "G5") == []
