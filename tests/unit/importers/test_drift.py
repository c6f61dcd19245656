"""Label drift and damaged tables, as FORMAT.md describes them in the wild."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from workflow.domain.formats import FormatId
from workflow.exporters import to_html
from workflow.importers import ImportResult, import_bytes, import_text

DRIFTED = """某某街道办事处2023年度政府信息公开工作年度报告
本报告汇总编制了本街道各科室的情况。统计期限为2023年1月1日至12月31日。
一、总体情况
全年无事。
二、主动公开政府信息情况
第二十条第（一）项
信息内容\t本年(2023)制发件数\t本年废止件数\t现行有效件数
规章\t000
规范性文件（含党内文件）\t1\t0\t5
行政许可 12
第二十条第（八）项
信息内容\t本年收费金额（单位：万元）
行政事业性收费\t0.5
三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量\t3 0 0 0 0 0 3
二、上年结转政府信息公开申请数量\t\t６\t0\t0\t0\t0\t0\t6
特别说明行\t1\t2
\t\t1\t2\t3
四、政府信息公开行政复议、行政诉讼情况
102031200012000000
五、存在的主要问题及改进情况
无。
六、其他需要报告的事项
无。
某某街道办事处
二〇二四年一月十二日
"""


def _drifted() -> ImportResult:
    return import_text(DRIFTED)


def test_header_from_drifted_text() -> None:
    r = _drifted().report
    h = r.header
    assert (h.body_name, h.body_type, h.year) == ("某某街道办事处", "street", 2023)
    assert (h.period_start, h.period_end) == (date(2023, 1, 1), date(2023, 12, 31))
    assert h.report_date == date(2024, 1, 12)  # 二〇二四年一月十二日
    assert h.signature == "某某街道办事处"
    assert r.aggregates_bodies  # 汇总编制
    assert r.format is FormatId.F2021  # 本年(2023)制发件数 is still the 2021 label


def test_alias_and_explanatory_labels_map_and_are_kept_as_written() -> None:
    t2 = _drifted().report.table("t2")
    assert t2.value("normative", "in_force") == 5
    assert t2.labels["normative"] == "规范性文件（含党内文件）"
    assert t2.value("licensing", "decisions") == 12  # "行政许可 12" copied without a tab
    assert t2.value("fees", "amount") is not None


def test_run_together_digits_are_noted_not_guessed() -> None:
    result = _drifted()
    t2, t4 = result.report.table("t2"), result.report.table("t4")
    # "规章 000": as many digits as cells can only be one digit a cell (tests/corpus/reports/
    # 2025_haicheng_xisi_zhen.txt prints 表二 so); more digits than cells cannot be told apart.
    assert [c.raw for c in t2.rows["regulations"].values()] == ["0", "0", "0"]
    assert t4.rows == {}
    messages = " ".join(n.message for n in result.notes)
    assert "表四的数字连在一起" in messages


def test_values_in_one_cell_extra_rows_and_unlabelled_numbers() -> None:
    result = _drifted()
    t3 = result.report.table("t3")
    assert [t3.value("new", c) for c in ("natural", "total")] == [3, 3]  # "3 0 0 0 0 0 3"
    assert t3.cell("carried", "natural").raw == "６" and t3.value("carried", "natural") == 6
    assert t3.extra_rows == ["特别说明行"]
    wheres = [n.where for n in result.notes]
    assert any(w.startswith("表三") for w in wheres)
    assert any("没有行名称" in n.message for n in result.notes)


def test_missing_table_is_not_present_and_short_rows_miss_trailing_cells() -> None:
    text = (
        "某某镇人民政府2024年政府信息公开工作年度报告\n一、总体情况\n无。\n"
        "三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量\t1\t0\n"
        "二、上年结转政府信息公开申请数量\t\t2\n"
    )
    r = import_text(text).report
    assert not r.table("t2").present and not r.table("t4").present
    t3 = r.table("t3")
    assert t3.rows["new"] == {
        "natural": t3.rows["new"]["natural"],
        "commercial": t3.rows["new"]["commercial"],
    }
    assert (t3.value("new", "natural"), t3.value("new", "commercial")) == (1, 0)
    assert t3.cell("carried", "natural").raw == "" and t3.value("carried", "commercial") == 2  # leading blank
    assert r.sections[3].title == "三、收到和处理政府信息公开申请情况"


def test_2019_row_in_2021_report_becomes_extra_when_2021_wins() -> None:
    text = (
        "某某局2022年政府信息公开工作年度报告\n三、收到和处理政府信息公开申请情况\n"
        "（六）其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0\n"
        "（六）其他处理\t3.其他\t0\t0\t0\t0\t0\t0\t0\n"
        "（六）其他处理\t0\t0\t0\t0\t0\t0\t0\n"
    )
    result = import_text(text)
    t3 = result.report.table("t3")
    assert result.report.format is FormatId.F2021
    assert "o1" in t3.rows and "o" not in t3.rows
    assert t3.extra_rows == ["（六）其他处理"]


def test_published_page_in_a_layout_table_reads_as_the_text(corpus: Path) -> None:
    base = import_text((corpus / "pingtan_2021.txt").read_text(encoding="utf-8")).report
    page = to_html(base)
    body = page[page.index("<body>") + 6 : page.index("</body>")].replace("<p>", "<p>&nbsp;&nbsp;")
    wrapped = (
        '<html><head><meta charset="gbk"><script>var a="<table>";</script></head><body>'
        "<table><tr><td>首页</td><td>政务公开 &gt; 年度报告</td></tr>"
        f'<tr><td colspan="2"><div class="content">{body}</div></td></tr></table></body></html>'
    )
    result = import_bytes(wrapped.encode("gb18030"), "page.html")
    assert result.report.to_dict() == base.to_dict()
    assert result.report.table("t3").value("new", "total") == 70


def test_tabs_in_running_text_stay_text() -> None:
    text = "某某镇人民政府2024年政府信息公开工作年度报告\n联系人：\t张三\n一、总体情况\n无。\n"
    r = import_text(text).report
    assert r.preamble == "联系人：\t张三"


def test_the_content_decides_the_kind_not_the_name(corpus: Path) -> None:
    data = (corpus / "pingtan_2021.txt").read_bytes()
    expected = import_bytes(data).report.to_dict()
    assert import_bytes(data, "report.html").report.to_dict() == expected  # text saved as .html
    assert import_bytes(data, "report.docx").report.to_dict() == expected
    fragment = "<h1>某某镇人民政府2024年政府信息公开工作年度报告</h1><p>一、总体情况</p><p>无。</p>"
    report = import_bytes(fragment.encode(), "page.htm").report
    assert report.header.title == "某某镇人民政府2024年政府信息公开工作年度报告"
    assert report.sections[1].text == "无。"
