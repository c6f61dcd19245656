"""Issue #14's classes of checker mistakes, each on short excerpts of real published reports.

Every excerpt names its source file (../shared/corpus, its partial/ beginnings, tests/corpus/reports).
Each test failed before the mechanism it covers was fixed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers import TODAY, clean_report, findings, skipped

from workflow.domain.formats import FormatId
from workflow.domain.model import Report, Section
from workflow.importers import import_text
from workflow.rules.catalog import validate
from workflow.rules.engine import MAX_PER_RULE, Locator, Severity

PINGTAN_T3 = "pingtan_2021.txt"


def _report(text: str, **kw: object) -> Report:
    return import_text(text, **kw).report  # type: ignore[arg-type]


def _rules(report: Report, previous: Report | None = None) -> set[str]:
    return {f.rule for f in validate(report, previous, today=TODAY).findings}


@pytest.fixture
def pingtan21(corpus: Path) -> str:
    return (corpus / PINGTAN_T3).read_text(encoding="utf-8")


# ---------------------------------------------------------------- class 1: header from the whole document
# partial/2021_wuchang_minyi_xiang.txt: the body's name on its own line above the title.
WUCHANG = """五常市民意乡
2021年政府信息公开工作年度报告
报告所列数据统计期限为2021年1月1日起至2021年12月31日止。
一、总体情况
(二)依申请公开方面。2021年度,民意乡未收到和处理政府信息公开申请,零报告。
"""

# partial/2023_xixian_dizhang_jiedao.txt: the title wrapped in the middle of 政府信息公开.
XIXIAN = """西咸新区底张街道办事处2023年度政府
信息公开工作年度报告
报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。
一、总体情况
(一)主动公开工作情况。
"""

# partial/2023_haizhu_guanzhou_jiedao.txt: a page cut from the web, no title at all.
HAIZHU = """一、总体情况
2023年,在区委、区政府的坚强领导下,官洲街道办事处认真贯彻落实《中华人民共和国政府信息公开条例》,向社会公开政府信息。2023年,通过政府门户网站,主动公开政府信息63条。
"""

# partial/2022_jinxian_shichang_jianguanju.txt: no title; the text names the report and its body.
JINXIAN = """一、总体情况
根据《中华人民共和国政府信息公开条例》要求,现将进贤县市场监督管理局2022年政府信息公开工作年度报告向社会公布。
"""


def test_a_title_on_two_lines_keeps_the_body_and_its_type() -> None:
    h = _report(WUCHANG).header
    assert (h.body_name, h.body_type, h.year) == ("五常市民意乡", "township", 2021)
    h = _report(XIXIAN).header
    assert (h.body_name, h.body_type, h.year) == ("西咸新区底张街道办事处", "street", 2023)
    assert h.title == "西咸新区底张街道办事处2023年度政府信息公开工作年度报告"


def test_a_wrapped_title_is_not_reported_as_a_nonstandard_title() -> None:
    assert "G6" not in _rules(_report(XIXIAN))
    assert "G6" not in _rules(_report(WUCHANG))


def test_a_body_found_from_a_wrapped_title_gets_its_types_rules() -> None:
    # 五常市民意乡 is a township: D3 (no 规章) is judged for it, not silently skipped as for "other".
    r = _report(WUCHANG)
    assert not any("机关类型" in reason for reason in skipped(r, "D3"))
    # tests/corpus/reports/2020_chengkou_xianzhengfu.txt: "城口县人民政府机关" / "2020年…年度报告".
    h = _report("城口县人民政府机关\n2020年政府信息公开工作年度报告\n一、总体情况\n").header
    assert h.title == "城口县人民政府机关2020年政府信息公开工作年度报告"
    assert findings(_report(WUCHANG.replace("五常市民意乡", "五常市人民政府")), "G3")  # a government: 考核…


def test_without_a_title_the_body_comes_from_the_text() -> None:
    h = _report(HAIZHU).header
    assert (h.body_name, h.body_type, h.year) == ("官洲街道办事处", "street", 2023)
    h = _report(JINXIAN).header
    assert (h.body_name, h.body_type, h.year) == ("进贤县市场监督管理局", "county_department", 2022)


def test_without_a_title_the_title_rule_is_not_assessed_rather_than_failed() -> None:
    r = _report(HAIZHU)
    assert findings(r, "G6") == []
    assert skipped(r, "G6")


def test_a_body_whose_type_cannot_be_told_is_named_in_not_assessed() -> None:
    r = clean_report(body_name="某某")
    r.header.body_type = "other"
    assert any("机关类型" in reason for reason in skipped(r, "D3"))
    assert any("机关类型" in reason for reason in skipped(r, "D4"))


def test_the_signature_names_the_body_when_the_title_does_not(pingtan21: str) -> None:
    # ../shared/corpus/pingtan_2021.txt with its title cut off: the 落款 still names the body.
    text = pingtan21.split("\n", 1)[1]
    h = _report(text).header
    assert h.body_name and h.body_type == "county_government"


# ---------------------------------------------------------------- class 3: sentences naming two cells
def test_open_and_partly_open_together_are_compared_with_their_sum(pingtan21: str) -> None:
    # pingtan_2021: 予以公开 30 + 部分公开 5 = 35.
    right = pingtan21.replace("及时依法依规办结69件", "予以公开及部分公开35件，及时依法依规办结69件")
    assert findings(_report(right), "F5") == []
    wrong = pingtan21.replace("及时依法依规办结69件", "予以公开和部分公开共30件，及时依法依规办结69件")
    (f,) = findings(_report(wrong), "F5")
    assert (f.expected, f.actual, f.difference) == (35, 30, -5)


def test_shoubai_counts_new_and_carried_over_together(corpus: Path) -> None:
    # ../shared/corpus/pingtan_2022.txt: 新收 74 + 上年结转 1 = 75.
    text = (corpus / "pingtan_2022.txt").read_text(encoding="utf-8")
    right = text.replace("全区收到政府信息公开申请75件", "全区收办政府信息公开申请75件")
    assert findings(_report(right), "F1") == []
    wrong = text.replace("全区收到政府信息公开申请75件", "全区收办政府信息公开申请80件")
    (f,) = findings(_report(wrong), "F1")
    assert (f.expected, f.actual) == (75, 80)


# ---------------------------------------------------------------- class 4: the text's other reading
def test_in_force_in_the_text_may_count_regulations_and_normative_documents(pingtan21: str) -> None:
    text = pingtan21.replace("规章\t0\t0\t0", "规章\t0\t0\t5").replace(
        "全年主动公开我区各级单位政府信息2645条",
        "全年主动公开我区各级单位政府信息2645条，现行有效行政规范性文件670件",
    )
    assert findings(_report(text), "D6") == []  # 665 + 5: 第二十条第（一）项 as a whole
    wrong = text.replace("现行有效行政规范性文件670件", "现行有效行政规范性文件600件")
    (f,) = findings(_report(wrong), "D6")
    assert (f.expected, f.actual) == (665, 600)


# ---------------------------------------------------------------- class 5: 2019 pieces in a later report
def test_one_2019_header_label_in_a_2021_table_is_the_old_template(pingtan21: str) -> None:
    # ../shared/corpus/lushaer_2024.txt's 表二 header 本年新制作数量, in an otherwise 2021 表二.
    text = pingtan21.replace("信息内容\t本年制发件数\t本年废止件数", "信息内容\t本年新制作数量\t本年废止件数")
    r = _report(text)
    assert r.format is FormatId.F2021
    (f,) = findings(r, "A5")
    assert "本年新制作数量" in f.message and f.severity is Severity.ERROR


def test_other_handling_as_a_single_row_is_the_old_template_not_three_missing_rows(pingtan21: str) -> None:
    # lushaer_2024's 表三: "(六) 其他处理" with its figures on one row, no sub-rows 1–3.
    lines = [ln for ln in pingtan21.splitlines() if not ln.startswith("（六）其他处理\t")]
    at = lines.index(next(ln for ln in lines if ln.startswith("（七）总计")))
    lines.insert(at, "\t(六) 其他处理\t1\t0\t0\t0\t0\t0\t1")
    r = _report("\n".join(lines))
    assert r.format is FormatId.F2021
    (f,) = findings(r, "A5")
    assert "(六) 其他处理" in f.message
    assert not [x for x in findings(r, "A1") if x.where.row in ("o1", "o2", "o3")]


# ---------------------------------------------------------------- class 6: misprinted labels
def test_a_label_with_characters_dropped_is_misspelt_not_missing(pingtan21: str) -> None:
    text = pingtan21.replace("5.属于三类内部事务信息", "5.属于三类内部信息")
    r = _report(text)
    assert r.table("t3").value("d5", "total") == 1
    assert findings(r, "A1") == []
    (f,) = findings(r, "A4")
    assert f.where == Locator(3, "t3", "d5") and "错字或漏字" in f.message


# ---------------------------------------------------------------- class 7: blank columns
def test_blank_columns_are_one_finding_each_not_one_per_cell(pingtan21: str) -> None:
    # Five 法人或其他组织 columns left blank in every 表三 row (as partial/2020_yuyang… leaves them).
    out = []
    for line in pingtan21.splitlines():
        cells = line.split("\t")
        if len(cells) >= 8 and not cells[0].isdigit() and cells[-1].isdigit() and cells[-7].isdigit():
            cells[-6:-1] = [""] * 5
        out.append("\t".join(cells))
    got = findings(_report("\n".join(out)), "A1")
    assert len(got) == 5
    assert {f.where.column for f in got} == {"commercial", "research", "welfare", "legal", "other"}
    assert all(f.where.row is None and f.actual == "空白25格" for f in got)


def test_no_rule_speaks_more_than_ten_times_about_one_report() -> None:
    r = clean_report()
    for cells in r.tables["t3"].rows.values():
        for key in list(cells)[:3]:
            cells[key] = type(cells[key]).of("x")
    got = findings(r, "A2")
    assert 0 < len(got) <= MAX_PER_RULE
    assert all(f.rule == "A2" and f.where.table == "t3" for f in got)


# ---------------------------------------------------------------- class 8: template text left in
def test_G10_fires_on_lushaers_signature_field_and_markdown() -> None:
    # ../shared/corpus/lushaer_2024.txt: the form's "单位主要负责人签名：" and "**" survived into the text.
    r = clean_report()
    r.preamble = "单位名称：鲁沙尔镇人民政府 单位主要负责人签名："
    r.sections[1] = Section(r.sections[1].title, r.section_text(1) + "**二是强抓培训，提升业务能力。**")
    got = findings(r, "G10")
    assert {f.where for f in got} == {Locator(row="模板文字"), Locator(1)}
    assert all(f.severity is Severity.WARNING for f in got)


def test_G10_fires_on_placeholders_and_fill_in_notes() -> None:
    r = clean_report()
    r.sections[6] = Section(r.sections[6].title, "XX镇本年度未收取信息处理费。（此处填写其他事项）")
    (f,) = findings(r, "G10")
    assert "占位符" in f.message and "填写说明" in f.message


def test_G10_passes_on_the_real_reports(corpus: Path) -> None:
    for name in ("pingtan_2021.txt", "pingtan_2022.txt"):
        assert findings(_report((corpus / name).read_text(encoding="utf-8")), "G10") == []
    assert findings(clean_report(), "G10") == []


def test_a_garbled_period_is_an_error() -> None:
    # partial/2022_jinhua_shichang_jianguanju.txt: "自20221月1日起至202212月31日止".
    text = "金华市市场监管局2022年政府信息公开工作年度报告\n本报告中所列数据的统计期限自20221月1日起至202212月31日止。\n"
    (f,) = findings(_report(text), "G5")
    assert f.severity is Severity.ERROR and "20221月" in f.message


def test_a_period_stated_without_the_word_is_read() -> None:
    # tests/corpus/reports/2023_cangxi_xiangcunzhenxingju.txt: "所列数据自2023年1月1日起至2023年12月31日止".
    text = (
        "根据要求,编制完成《苍溪县乡村振兴局2023年政府信息公开工作年度报告》,"
        "所列数据自2023年1月1日起至2023年12月31日止。\n一、总体情况\n"
    )
    h = _report(text).header
    assert (h.period_start, h.period_end) == (date(2023, 1, 1), date(2023, 12, 31))
    assert findings(_report(text), "G5") == []


# ---------------------------------------------------------------- class 9: not assessed is not a finding
def test_a_rule_with_findings_is_not_also_listed_as_not_assessed(corpus: Path) -> None:
    # ../shared/corpus/lushaer_2024.txt: E3 (no word on last year's problems) fired and was also
    # "not assessed: no previous report".
    r = _report((corpus / "lushaer_2024.txt").read_text(encoding="utf-8"))
    result = validate(r, today=TODAY)
    reported = {f.rule for f in result.findings}
    assert "E3" in reported
    assert not reported & {n.rule for n in result.not_assessed}


# ---------------------------------------------------------------- more of class 1/4/6 from tests/corpus/reports
def test_a_years_leftover_at_a_paragraphs_opening_is_found() -> None:
    # tests/corpus/reports/2023_haicheng_xiliu_zhen.txt: a 2023 report's (三) opens with last year.
    text = (
        "西柳镇人民政府2023年政府信息公开工作年度报告\n一、总体情况\n（一）主动公开情况 2023年，我镇公开信息50条。\n"
        "（三）政府信息管理情况 2022年，西柳镇人民政府办公室共制定规范性文件0件。\n"
    )
    (f,) = findings(_report(text), "E4")
    assert (f.expected, f.actual) == (2023, 2022)
    same = text.replace("2022年，西柳镇", "2023年，西柳镇")
    assert findings(_report(same), "E4") == []


def test_received_beyond_handled_and_forwarded_is_found_without_carried_over() -> None:
    # partial/2022_jiaxing_shichang_jianguanju.txt: 受理11件 … 办结8件, 结转下一年办理1件.
    text = (
        "嘉兴市市场监督管理局2022年度政府信息公开工作年度报告\n一、总体情况\n"
        "(二)依申请公开情况。2022年,嘉兴市市场监管局受理政府信息依申请公开11件,其中网络申请11件,"
        "申请办结数8件,结转下一年办理1件,均在法定时间予以反馈答复。\n"
    )
    (f,) = findings(_report(text), "F4")
    assert (f.expected, f.actual, f.difference) == (11, 9, -2)
    assert findings(_report(text.replace("办结数8件", "办结数10件")), "F4") == []


def test_a_breakdown_introduced_by_baokuo_is_added_up() -> None:
    # partial/2022_lintao_xintian_zhen.txt: 382 条, 包括 35 + 80 + 2443.
    text = (
        "临洮县新添镇2022年政府信息公开工作年度报告\n一、总体情况\n"
        "全年主动公开政务信息382条，包括政府网站35条，媒体上发布信息80条，微信公众号2443条。\n"
    )
    (f,) = findings(_report(text), "F9")
    assert (f.expected, f.actual) == (382, 2558)
    # partial/2023_yuecheng_donghu_jiedao.txt: parts counted in 件 beside 条 add up.
    ok = "一、总体情况\n主动公开政府信息47条，其中部门文件22件，通知公告16条，人事任免5条，财政预决算2条，工作计划1条，工作总结1条。\n"
    assert findings(_report(ok), "F9") == []


def test_a_row_with_a_blank_label_is_placed_by_position() -> None:
    # tests/corpus/reports/2025_hantai_xuwang_zhen.txt: 表二's first row has no label.
    text = (
        "徐望镇人民政府2025年政府信息公开工作年度报告\n二、主动公开政府信息情况\n第二十条第\n"
        "信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n\t0\t0\t0\n行政规范性文件\t0\t0\t0\n"
    )
    r = _report(text)
    assert r.table("t2").value("regulations", "in_force") == 0
    assert not [f for f in findings(r, "A1") if f.where.row == "regulations"]
    (f,) = [f for f in findings(r, "A4") if f.where.row == "regulations"]
    assert "空白" in f.message


def test_cells_one_per_line_are_read_as_rows() -> None:
    # tests/corpus/reports/2023_nileke_unnamed_zhen.txt (a bar line after each cell) and
    # 2023_cangxi_xiangcunzhenxingju.txt ("规章 |" then "0 |"), 2025_haicheng_xisi_zhen.txt ("规章000").
    nileke = "二、主动公开政府信息情况\n第二十条第(一)项\n|\n信息内容\n|\n本年制发件数\n|\n本年废止件数\n|\n现行有效件数\n|\n"
    nileke += "规章\n|\n0\n|\n0\n|\n6\n|\n行政规范性文件\n|\n0\n|\n0\n|\n0\n|\n"
    cangxi = "二、主动公开政府信息情况\n第二十条第(一)项 |\n|||\n信息内容 |\n本年 制发件数 |\n本年 废止件数 |\n现行有效件数 |\n"
    cangxi += "规章 |\n0 |\n0 |\n6 |\n行政规范性文件 |\n0 |\n0 |\n0 |\n"
    xisi = "二、主动公开政府信息情况\n第二十条第(一)项\n信息内容本年制发件数本年废止件数现行有效件数\n规章006\n行政规范性文件000\n"
    for text in (nileke, cangxi, xisi):
        t2 = _report("某镇人民政府2023年政府信息公开工作年度报告\n" + text).table("t2")
        assert t2.value("regulations", "in_force") == 6, text
        assert t2.value("normative", "issued") == 0, text


def test_the_publics_right_of_supervision_is_not_the_supervision_aspect() -> None:
    # tests/corpus/reports/2025_lufeng_hudong_zhen.txt: "保障人民群众的知情权、参与权和监督权" only.
    r = clean_report()
    r.sections[1] = Section(
        r.sections[1].title,
        "坚持主动公开政府信息，办理依申请公开，加强政府信息管理和平台建设，保障群众的知情权、参与权和监督权。",
    )
    assert [f.where.row for f in findings(r, "G3")] == ["监督保障"]


def test_column_labels_cut_short_are_misspelt_labels() -> None:
    # partial/2020_weishan_liangcheng_zhen.txt: 表二's header "本年新 | 本年新 | 对外公开总数量".
    text = (
        "两城镇人民政府2020年政府信息公开工作年度报告\n二、主动公开政府信息情况\n第二十条第(一)项 | ||||\n"
        "信息内容 | 本年新 | 本年新 | 对外公开总数量 | |\n规章 | 0 | 0 | 0 | |\n规范性文件 | 0 | 0 | 0 | |\n"
    )
    got = [f for f in findings(_report(text), "A4") if f.where.column]
    assert {f.where.column for f in got} == {"made", "published"}
    assert all("错字或漏字" in f.message for f in got)
    whole = text.replace("本年新 | 本年新", "本年新制作数量 | 本年新公开数量")
    assert [f for f in findings(_report(whole), "A4") if f.where.column] == []


def test_a_body_named_nowhere_is_named_in_not_assessed() -> None:
    # A page cut from the web with neither title nor 落款 (as partial/2023_yuecheng… before its text).
    r = _report("一、总体情况\n2023年，我单位主动公开政府信息47条。\n")
    assert r.header.body_name == ""
    assert any("机关名称" in reason for reason in skipped(r, "E4"))
    assert any("机关类型" in reason for reason in skipped(r, "D3"))


def test_received_beyond_handled_is_not_judged_where_the_text_accounts_for_the_rest() -> None:
    text = (
        "嘉兴市市场监督管理局2022年度政府信息公开工作年度报告\n一、总体情况\n"
        "(二)依申请公开情况。2022年受理政府信息依申请公开11件,申请办结数8件,结转下一年办理1件,"
        "其余2件申请人撤回申请。\n"
    )
    assert findings(_report(text), "F4") == []


def test_annotation_lines_are_not_report_text() -> None:
    # ../shared/corpus/partial/*.txt end with "# notes …" blocks whose later lines carry Chinese.
    text = "大庙乡2024年政府信息公开工作年度报告\n一、总体情况\n2024年，我乡公开信息18条。\n# notes (warning): x\n#   现行有效 18\n"
    r = _report(text)
    assert "现行有效" not in r.section_text(1)
    assert findings(r, "G10") == []
    assert findings(_report(text.replace("\n一、", "\n## 一、")), "G10")  # a markdown heading is left in


def test_a_tables_caption_inside_it_is_not_an_extra_row() -> None:
    # partial/2023_yuecheng_donghu_jiedao.txt: "主动公开政府信息情况 | |||" as the table's first row.
    text = (
        "东湖街道办事处2023年政府信息公开工作年度报告\n二、主动公开政府信息情况\n主动公开政府信息情况 | |||\n"
        "第二十条第(一)项 | |||\n信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n规章 | 0 | 0 | 0 |\n"
    )
    r = _report(text)
    assert r.table("t2").extra_rows == []
    assert not [f for f in findings(r, "A4") if f.where.row and f.where.row.startswith("+")]


def test_a_government_named_by_its_place_and_a_department_named_in_the_text() -> None:
    # tests/corpus/reports/2024_dongbao_quzhengfu.txt: "现发布《东宝区2024年政府信息公开工作年度报告》".
    h = _report("根据《条例》规定，现发布《东宝区2024年政府信息公开工作年度报告》。\n一、总体情况\n").header
    assert (h.body_name, h.body_type, h.year) == ("东宝区", "county_government", 2024)
    # tests/corpus/reports/2021_haicang_caizhengju.txt: no title; "2021年,海沧区财政局严格落实…".
    text = "一、总体情况\n2021年,海沧区财政局严格落实政府信息公开工作要求,主动公开信息95条。\n"
    h = _report(text).header
    assert (h.body_name, h.body_type) == ("海沧区财政局", "county_department")
    # tests/corpus/reports/2020_chengkou_xianzhengfu.txt: "城口县人民政府机关".
    h = _report("城口县人民政府机关\n2020年政府信息公开工作年度报告\n一、总体情况\n").header
    assert h.body_type == "county_government"


def test_a_2019_row_in_a_2021_table_is_the_old_template(pingtan21: str) -> None:
    # partial/2020_rongchang_hebao_zhen.txt's 2019 row 其他对外管理服务事项, pasted into a 2021 表二.
    text = pingtan21.replace("行政许可\t2293", "行政许可\t2293\n其他对外管理服务事项\t0\t0\t0")
    r = _report(text)
    assert r.format is FormatId.F2021
    (f,) = findings(r, "A5")
    assert "其他对外管理服务事项" in f.message
    assert not [x for x in findings(r, "A4") if "其他对外管理服务事项" in str(x.actual)]


def test_per_applicant_counts_may_include_the_carried_over(corpus: Path) -> None:
    # ../shared/corpus/pingtan_2022.txt: "涉及自然人72件" = 新收 71 + 上年结转 1: the other reading is accepted.
    r = _report((corpus / "pingtan_2022.txt").read_text(encoding="utf-8"))
    assert findings(r, "F7") == []
    wrong = (
        (corpus / "pingtan_2022.txt").read_text(encoding="utf-8").replace("涉及自然人72件", "涉及自然人60件")
    )
    (f,) = findings(_report(wrong), "F7")
    assert (f.expected, f.actual) == (71, 60)
