"""The real reports of the corpus import to the cells a reviewer reads on paper."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from workflow.domain.formats import FormatId
from workflow.importers import ImportResult, import_bytes


def _load(corpus: Path, name: str) -> ImportResult:
    return import_bytes((corpus / name).read_bytes(), name)


@pytest.fixture
def lushaer(corpus: Path) -> ImportResult:
    return _load(corpus, "lushaer_2024.txt")


@pytest.fixture
def pingtan21(corpus: Path) -> ImportResult:
    return _load(corpus, "pingtan_2021.txt")


def test_lushaer_header(lushaer: ImportResult) -> None:
    h = lushaer.report.header
    assert h.year == 2024  # no year in the title: from 截至 2024 年 12 月 31 日 / the date
    assert h.title == "鲁沙尔镇人民政府信息公开工作 年度报告"
    assert h.body_name == "鲁沙尔镇人民政府"
    assert h.body_type == "township"
    assert h.signature == "西宁市湟中区鲁沙尔镇人民政府"
    assert h.report_date == date(2025, 1, 14)
    assert h.period_text == "" and h.period_start is None


def test_lushaer_is_2019_format_and_says_why(lushaer: ImportResult) -> None:
    r = lushaer.report
    assert r.format is FormatId.F2019
    assert "本年新制作数量" in r.format_markers
    assert "(六) 其他处理" in r.format_markers


def test_lushaer_sections(lushaer: ImportResult) -> None:
    s = lushaer.report.sections
    assert sorted(s) == [1, 2, 3, 4, 5, 6]
    assert s[3].title is None  # the title line is missing; the 表三 rows are not section titles
    assert s[4].title == "四、政府信息公开行政复议、行政诉讼情况"
    assert s[2].text == s[3].text == s[4].text == ""
    assert s[6].text == "暂无其它需要报告的事项。"  # 落款 and date taken off
    assert "截至 2024 年 12 月 31 日" in s[1].text


def test_lushaer_tables(lushaer: ImportResult) -> None:
    r = lushaer.report
    t2, t3, t4 = r.table("t2"), r.table("t3"), r.table("t4")
    assert list(t2.rows) == ["regulations"]
    assert t2.cell("regulations", "made").raw == "0"
    assert "new" not in t3.rows  # 一、本年新收 never arrived
    assert t3.labels["carried"] == "二、上年结转政府信息公开申请数量"
    assert t3.value("carried", "total") == 0
    assert "o" in t3.rows and "o1" not in t3.rows
    assert t3.labels["o"] == "(六) 其他处理"
    assert t3.labels["d3"] == "3. 危及“三安全一稳定”"
    assert t3.value("forward", "natural") == 0
    assert len(t3.rows["forward"]) == 7
    for col in ("upheld", "corrected", "other", "pending", "total"):
        cell = t4.cell("review", col)
        assert cell is not None and cell.raw == "" and cell.value is None  # blank, not missing
    assert t4.value("direct", "other") == 1
    assert t4.value("direct", "total") == 1
    assert t4.value("after_review", "total") == 0
    assert t4.labels["review"] == "行政复议"
    assert not lushaer.notes


def test_pingtan_2021(pingtan21: ImportResult) -> None:
    r = pingtan21.report
    h = r.header
    assert (h.year, h.body_name, h.body_type) == (2021, "平潭综合实验区", "county_government")
    assert h.period_text == "本报告所列数据的统计期限自2021年1月1日起至2021年12月31日止。"
    assert (h.period_start, h.period_end) == (date(2021, 1, 1), date(2021, 12, 31))
    assert h.report_date is None and h.signature == "平潭综合实验区管委会办公室"
    assert r.format is FormatId.F2021 and r.format_markers == []
    assert not r.aggregates_bodies
    t2, t3, t4 = r.table("t2"), r.table("t3"), r.table("t4")
    assert t2.value("normative", "in_force") == 665
    assert t2.value("licensing", "decisions") == 2293
    assert t2.value("fees", "amount") == Decimal("24252.311082")
    assert t3.value("new", "total") == 70
    assert t3.value("forward", "natural") == 1
    assert t3.value("o3", "total") == 1
    assert t3.labels["d1"] == "1.属于国家秘密"
    assert t4.value("review", "total") == 3
    assert t4.value("direct", "upheld") == 12
    assert sorted(r.sections) == [1, 2, 3, 4, 5, 6]
    assert r.sections[6].text == "2021年，无收取信息处理费情况。"
    assert not pingtan21.notes


def test_pingtan_2022(corpus: Path) -> None:
    result = _load(corpus, "pingtan_2022.txt")
    r = result.report
    assert r.header.year == 2022
    assert r.header.period_text == "本报告中所列数据统计时限为2022年1月1日至2022年12月31日。"
    assert r.sections[4].title == "四、政府信息公开行政法复议、行政诉讼情况"  # the typo, as written
    assert r.aggregates_bodies  # 汇总平潭综合实验区各有关单位…编制而成
    assert r.table("t3").value("carried", "total") == 1
    assert r.table("t2").value("normative", "in_force") == 698
    assert r.table("t4").value("review", "corrected") == 1


def test_pingtan_docx_reads_as_the_text(corpus: Path, pingtan21: ImportResult) -> None:
    result = _load(corpus, "pingtan_2021.docx")
    assert result.report.to_dict() == pingtan21.report.to_dict()
    assert result.report.table("t3").value("new", "total") == 70
    assert not result.notes


# Issue #14 class 1: the header from the whole document (titles on two lines, no title, 落款, the text).
# Body types and years as each file's own "# body:" line states them.
PARTIAL_HEADERS = [
    ("2020_rongchang_hebao_zhen.txt", "河包镇", "township", 2020),
    ("2020_tianmen_tuoshi_zhen.txt", "拖市镇", "township", 2020),
    ("2020_weishan_liangcheng_zhen.txt", "两城镇人民政府", "township", 2020),  # no title: 由…编制
    ("2020_zibo_zhongbu_zhen.txt", "中埠镇人民政府", "township", 2020),
    ("2021_wuchang_minyi_xiang.txt", "五常市民意乡", "township", 2021),  # title on two lines
    ("2022_jiaxing_shichang_jianguanju.txt", "嘉兴市市场监督管理局", "city_department", 2022),  # 【图文】
    ("2022_jinhua_shichang_jianguanju.txt", "金华市市场监管局", "city_department", 2022),  # 文件名称：2022年…
    ("2022_jinxian_shichang_jianguanju.txt", "进贤县市场监督管理局", "county_department", 2022),  # 现将…报告
    ("2022_lintao_xintian_zhen.txt", "临洮县新添镇", "township", 2022),  # one paragraph
    ("2023_haizhu_guanzhou_jiedao.txt", "官洲街道办事处", "street", 2023),  # named in the text
    ("2023_xixian_dizhang_jiedao.txt", "西咸新区底张街道办事处", "street", 2023),  # wrapped in 政府|信息
    ("2023_yiwu_niansanli_jiedao.txt", "义乌市廿三里街道办事处", "street", 2023),
    ("2023_yuecheng_donghu_jiedao.txt", "绍兴市越城区东湖街道", "street", 2023),  # …特编制2023年…
    ("2024_zhushan_damiao_xiang.txt", "大庙乡", "township", 2024),
    ("2025_hukou_fulong_xiang.txt", "湖口县付垅乡", "township", 2025),
    ("2025_qinan_xingguo_zhen.txt", "兴国镇人民政府", "township", 2025),
]


@pytest.mark.parametrize(("name", "body", "body_type", "year"), PARTIAL_HEADERS)
def test_partial_reports_headers(corpus: Path, name: str, body: str, body_type: str, year: int) -> None:
    h = _load(corpus / "partial", name).report.header
    assert (h.body_name, h.body_type, h.year) == (body, body_type, year)
