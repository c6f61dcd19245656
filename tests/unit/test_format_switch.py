"""The 2019 ↔ 2021 switch (FORMAT.md counterparts) and starting from last year's report."""

from __future__ import annotations

import random
from datetime import date

from workflow.domain.carry_over import start_from
from workflow.domain.format_switch import switch_format
from workflow.domain.formats import FORMATS, FormatId
from workflow.domain.import_preview import has_report_structure, preview
from workflow.domain.model import Report, empty_report
from workflow.domain.samples import sample_report


def _filled_2021() -> Report:
    r = sample_report(random.Random(5), year=2024, body_name="鲁沙尔镇人民政府")
    t2 = r.tables["t2"]
    t2.set("normative", "issued", "2")
    t2.set("normative", "repealed", "1")
    t2.set("normative", "in_force", "7")
    t2.set("licensing", "decisions", "12")
    t2.set("fees", "amount", "0.5")
    t3 = r.tables["t3"]
    for row, n in (("o1", "1"), ("o2", "2"), ("o3", "3")):
        t3.set(row, "natural", n)
    return r


def test_2021_to_2019_maps_counterparts_and_lists_the_rest():
    r = _filled_2021()
    out, lost = switch_format(r, FormatId.F2019)
    assert out.format is FormatId.F2019
    t2 = out.table("t2")
    assert t2.value("normative", "made") == 2  # 本年制发件数 → 本年新制作数量
    assert t2.value("licensing", "decisions") == 12
    assert out.table("t3").value("o", "natural") == 6  # o1 + o2 + o3
    where = {x.where for x in lost}
    assert "表二 行政规范性文件 本年废止件数" in where
    assert "表二 行政规范性文件 现行有效件数" in where
    assert "表二 行政事业性收费 本年收费金额（单位：万元）" in where
    assert not any("表三" in w or "表四" in w for w in where)
    for row in ("new", "carried", "granted", "partial", "d1", "u1", "n1", "total", "forward"):
        assert out.table("t3").rows.get(row) == r.table("t3").rows.get(row)
    assert out.table("t4").rows == r.table("t4").rows
    assert out.sections == r.sections and out.header == r.header


def test_2019_to_2021_lists_the_single_other_row():
    r, _ = switch_format(_filled_2021(), FormatId.F2019)
    r.tables["t2"].set("other_services", "prev_count", "4")
    back, lost = switch_format(r, FormatId.F2021)
    where = {x.where for x in lost}
    assert "表三 （六）其他处理 自然人" in where
    assert "表二 其他对外管理服务事项 上一年项目数量" in where
    assert back.table("t2").value("normative", "issued") == 2
    assert back.table("t3").rows.get("o1") is None


def test_every_target_cell_exists_in_the_target_format():
    out, _ = switch_format(_filled_2021(), FormatId.F2019)
    spec = FORMATS[FormatId.F2019]
    for t in spec.tables:
        keys = {(r.key, c.key) for r in t.rows for c in r.columns}
        for row, cells in out.table(t.id).rows.items():
            assert all((row, col) in keys for col in cells), (t.id, row)


def test_same_format_is_a_copy_with_nothing_lost():
    r = _filled_2021()
    out, lost = switch_format(r, FormatId.F2021)
    assert lost == [] and out.to_dict() == r.to_dict() and out is not r


def test_start_from_last_year_carries_forward_and_in_force():
    last = _filled_2021()
    last.header.year = 2024
    last.header.title = "鲁沙尔镇人民政府2024年政府信息公开工作年度报告"
    report, carried = start_from(last, year=2025, body_name="鲁沙尔镇人民政府", body_type="township")
    assert (
        report.header.year == 2025 and report.header.title == "鲁沙尔镇人民政府2025年政府信息公开工作年度报告"
    )
    assert report.header.period_start == date(2025, 1, 1) and report.header.report_date is None
    for col in ("natural", "total"):
        assert report.table("t3").value("carried", col) == last.table("t3").value("forward", col)
    assert report.table("t2").value("normative", "in_force") == 7
    assert report.table("t2").value("normative", "issued") is None  # this year's, for the clerk
    assert report.table("t3").rows.get("new") is None
    assert report.sections == last.sections
    places = {c.where for c in carried}
    assert "表二 行政规范性文件 现行有效件数" in places
    assert "表三 二、上年结转政府信息公开申请数量 总计" in places


def test_start_from_a_2019_report_into_2021():
    last, _ = switch_format(_filled_2021(), FormatId.F2019)
    report, _ = start_from(last, year=2025, body_name="x镇", body_type="township")
    assert report.format is FormatId.F2021
    assert report.table("t3").value("carried", "total") == last.table("t3").value("forward", "total")


def test_preview_and_structure():
    r = _filled_2021()
    assert has_report_structure(r) and not has_report_structure(empty_report())
    p = preview(empty_report(), r)
    assert any(c.row == "行政许可" and c.old == "" and c.new == "12" for c in p.cells)
    assert any(s.what == "新增" for s in p.sections)
    assert preview(r, r).empty
