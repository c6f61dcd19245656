"""The district summary (domain/summary.py) and its SVG chart (exporters/chart.py)."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from decimal import Decimal

from workflow.domain.formats import FORMATS, FormatId
from workflow.domain.model import Report, Section
from workflow.domain.samples import sample_report
from workflow.domain.summary import (
    BodyReport,
    change_text,
    district_draft,
    find_outliers,
    report_tables,
    show,
    summarize,
)
from workflow.exporters.chart import Group, bar_chart

NAMES = [f"{p}镇人民政府" for p in "甲乙丙丁戊己庚辛"] + [f"湟中区{d}局" for d in "一二三四五六七八"]


def _district(seed: int = 7, n: int = 16) -> list[BodyReport]:
    rng = random.Random(seed)
    out = []
    for i, name in enumerate(NAMES[:n]):
        r = sample_report(rng, year=2026, body_name=name)
        out.append(BodyReport(i + 1, name, r.header.body_type, r))
    return out


def test_sums_every_cell_in_total_and_per_type() -> None:
    bodies = _district()
    s = summarize(2026, bodies)
    assert s.count == 16 and s.type_counts == {"township": 8, "county_department": 8}
    for t in FORMATS[FormatId.F2021].tables:
        for r in t.rows:
            for c in r.columns:
                want = sum(Decimal(b.report.table(t.id).value(r.key, c.key) or 0) for b in bodies)
                assert s.value(t.id, r.key, c.key) == want, (t.id, r.key, c.key)
                per_type = sum(s.value(t.id, r.key, c.key, bt) for bt in s.types)
                assert per_type == want


def test_a_2019_report_is_mapped_and_its_orphans_listed() -> None:
    r = Report(format=FormatId.F2019)
    r.tables = {
        "t2": _t({("licensing", "decisions"): 5, ("procurement", "count"): 3}),
        "t3": _t({("o", "natural"): 2, ("new", "natural"): 4}),
        "t4": _t({("review", "total"): 1}),
    }
    tables, missing = report_tables(r, FormatId.F2021)
    assert tables["t2"]["licensing"]["decisions"] == 5
    assert tables["t3"]["new"]["natural"] == 4 and tables["t4"]["review"]["total"] == 1
    assert tables["t3"]["o3"]["natural"] == 0
    assert any("政府集中采购" in m and "3" in m for m in missing)
    assert any("（六）其他处理" in m for m in missing)
    # the other way: 2021's three 其他处理 rows add up to 2019's one
    r21 = Report(format=FormatId.F2021, tables={"t3": _t({("o1", "total"): 1, ("o3", "total"): 2})})
    t19, _ = report_tables(r21, FormatId.F2019)
    assert t19["t3"]["o"]["total"] == 3


def _t(cells: dict[tuple[str, str], int]):
    from workflow.domain.model import Table

    t = Table()
    for (row, col), v in cells.items():
        t.set(row, col, v)
    return t


def test_a_clean_generated_district_has_no_outliers() -> None:
    assert find_outliers(_district(seed=11), FormatId.F2021) == []


def test_planted_outliers_are_found_with_reasons() -> None:
    bodies = _district(seed=3)
    bodies[2].report.tables["t2"].set("licensing", "decisions", 9000)
    bodies[5].report.tables.update({k: v for k, v in bodies[4].report.tables.items()})
    copied = (
        "我镇今年创新开展“政务公开进村居”活动，在每个行政村设立公开信息查阅点，组织网格员上门讲解惠民政策，"
        * 2
    )
    bodies[9].report.sections[5] = Section("五、存在的主要问题及改进情况", copied)
    bodies[12].report.sections[5] = Section("五、存在的主要问题及改进情况", copied + "。")
    found = find_outliers(bodies, FormatId.F2021)
    kinds = {(o.report_id, o.kind) for o in found}
    assert kinds == {
        (3, "ten_times"),
        (5, "identical_tables"),
        (6, "identical_tables"),
        (10, "copied_text"),
        (13, "copied_text"),
    }
    ten = next(o for o in found if o.kind == "ten_times")
    assert "行政许可" in ten.reason and "9000" in ten.reason and "十倍" in ten.reason
    same = next(o for o in found if o.report_id == 5)
    assert same.other_report_id == 6 and NAMES[5] in same.reason
    text = next(o for o in found if o.report_id == 10)
    assert text.other_report_id == 13 and "五、存在的主要问题及改进情况" in text.reason


def test_all_zero_tables_are_not_called_identical() -> None:
    bodies = _district(seed=5, n=6)
    for b in bodies[:2]:
        for t in b.report.tables.values():
            for cols in t.rows.values():
                for col in cols:
                    cols[col] = type(cols[col]).of(0)
    assert not [o for o in find_outliers(bodies, FormatId.F2021) if o.kind == "identical_tables"]


def test_changes_and_figures_read_as_words() -> None:
    assert change_text(Decimal(12), Decimal(10)) == "增加 2"
    assert change_text(Decimal(3), Decimal(10)) == "减少 7"
    assert change_text(Decimal(3), Decimal(3)) == "持平"
    assert change_text(Decimal(3), None) == "上年无数据"
    assert show(Decimal("3.500000")) == "3.5" and show(Decimal("10")) == "10"


def test_district_draft_carries_the_sums_and_the_totals_paragraph() -> None:
    s = summarize(2026, _district())
    draft = district_draft(s, "西宁市湟中区人民政府")
    assert draft.aggregates_bodies and draft.header.body_type == "county_government"
    for tid, rows in s.totals.items():
        for row, cols in rows.items():
            for col, v in cols.items():
                assert Decimal(draft.table(tid).value(row, col) or 0) == v
    text = draft.section_text(1)
    assert f"新收政府信息公开申请 {show(s.value('t3', 'new', 'total'))} 件" in text
    assert "16 个单位" in text
    back = Report.from_dict(draft.to_dict())
    assert back.table("t3").value("new", "total") == draft.table("t3").value("new", "total")


def test_bar_chart_is_valid_escaped_svg_with_words_for_screen_readers() -> None:
    svg = bar_chart(
        "收到申请<数>",
        ["2026年", "2025年"],
        [Group("乡镇&街道", (12, 30)), Group("部门", (Decimal("2.5"), None))],
        chart_id="c1",
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg" and root.get("role") == "img"
    assert root.findtext(f"{ns}title") == "收到申请<数>"
    desc = root.findtext(f"{ns}desc") or ""
    assert "乡镇&街道（2026年：12件，2025年：30件）" in desc and "无数据" in desc
    bars = [r for r in root.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    widths = {r.findtext(f"{ns}title"): int(r.get("width") or 0) for r in bars}
    assert widths["2025年 乡镇&街道：30件"] > widths["2026年 乡镇&街道：12件"] > widths["2026年 部门：2.5件"]
    assert "style=" not in svg and "<script" not in svg


def test_bar_chart_with_no_data() -> None:
    root = ET.fromstring(bar_chart("空", ["2026年"], []))
    assert "没有数据" in ET.tostring(root, encoding="unicode")


def test_html_fragments_say_changes_in_words_and_escape_names() -> None:
    from workflow.exporters.summary_html import breakdown_html, charts_svg, tables_html

    now = summarize(2026, _district(seed=1))
    before = summarize(2025, _district(seed=2))
    html = tables_html(now, before)
    assert "增加" in html or "减少" in html
    assert "与上年比" in html and 'class="table-scroll"' in html
    for cell in html.split('<td class="change">')[1:]:
        assert not cell.split("<", 1)[0].lstrip().startswith("-")  # no negative differences
    first = tables_html(now, None)
    assert "上年无数据" in first
    table = breakdown_html(now)
    assert "乡镇人民政府<br>（8 个单位）" in table and "合计（16 个单位）" in table
    charts = charts_svg(now, before)
    assert charts.count("<svg") == 2 and "2025年" in charts


def test_summary_workbook_holds_numbers_and_inert_text() -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from workflow.domain.summary import Outlier
    from workflow.exporters.summary_xlsx import summary_workbook

    now = summarize(2026, _district(seed=1))
    odd = [Outlier(1, '=HYPERLINK("http://x")', "township", "copied_text", "+cmd|' /C calc'!A0")]
    wb = load_workbook(BytesIO(summary_workbook("湟中区", now, summarize(2025, []), odd)))
    ws = wb["全区汇总"]
    assert "湟中区2026年度" in str(ws["A1"].value) and "2021年版" in str(ws["C2"].value)
    row = next(r for r in ws.iter_rows() if r[1].value == "一、本年新收政府信息公开申请数量")
    assert row[8].value == int(now.value("t3", "new", "total")) and row[8].data_type == "n"
    cells = [c for r in wb["需关注的单位"].iter_rows() for c in r if isinstance(c.value, str)]
    risky = [c for c in cells if c.value.startswith(("=", "+"))]
    assert len(risky) == 2 and all(c.data_type == "s" and c.quotePrefix for c in risky)


def test_a_2020_summary_is_in_the_2019_format_end_to_end() -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from workflow.exporters.summary_html import breakdown_html, charts_svg, tables_html
    from workflow.exporters.summary_xlsx import summary_workbook

    bodies = _district(seed=4, n=6)  # 2021-format reports, summed into a 2020 (2019-format) summary
    s = summarize(2020, bodies)
    assert s.format is FormatId.F2019
    want = sum(
        Decimal(b.report.table("t3").value(k, "total") or 0) for b in bodies for k in ("o1", "o2", "o3")
    )
    assert s.value("t3", "o", "total") == want
    assert any("行政事业性收费" in u.what for u in s.unmapped) or all(
        (b.report.table("t2").value("fees", "amount") or 0) == 0 for b in bodies
    )
    assert "（六）其他处理" in tables_html(s, None) and "<svg" in charts_svg(s, None)
    assert "行政许可决定" in breakdown_html(s)
    load_workbook(BytesIO(summary_workbook("湟中区", s, summarize(2019, []), [])))
    draft = district_draft(s, "西宁市湟中区人民政府")
    assert draft.format is FormatId.F2019 and "新制作规范性文件" in draft.section_text(1)
