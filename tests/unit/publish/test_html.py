"""The HTML page against the model: every cell, the merged national headers, escaping, corrections."""

from __future__ import annotations

from datetime import UTC, datetime

import lxml.html
import pytest

from workflow.domain.model import Report
from workflow.publish.html import PublicationMeta, render_html


def _cells(html: str) -> dict[tuple[str, str, str], str]:
    doc = lxml.html.fromstring(html)
    out = {}
    for td in doc.xpath("//table[@data-table]//td"):
        table = td.xpath("ancestor::table[1]/@data-table")[0]
        key = (table, td.get("data-row"), td.get("data-col"))
        assert key not in out, f"cell {key} printed twice"
        out[key] = td.text_content().strip()
    return out


@pytest.mark.parametrize("fixture", ["r2021", "r2019"])
def test_every_table_cell_matches_the_model(fixture: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(fixture)
    cells = _cells(render_html(report))
    expected = {
        (spec.id, row.key, col.key): report.table(spec.id).cell(row.key, col.key).raw.strip()  # type: ignore[union-attr]
        for spec in report.spec.tables
        for row in spec.rows
        for col in row.columns
    }
    assert cells == expected


def _grid_width(table) -> list[int]:  # type: ignore[no-untyped-def]
    """Each row's width in columns once rowspans from rows above are counted: a rectangle has one width."""
    carry: dict[int, int] = {}
    widths = []
    for tr in table.xpath(".//tr"):
        col, width = 0, 0
        for cell in tr.xpath("./th|./td"):
            while carry.get(col, 0) > 0:
                col += 1
            span, rows = int(cell.get("colspan", 1)), int(cell.get("rowspan", 1))
            for c in range(col, col + span):
                carry[c] = rows
            col += span
        width = max([col, *[c + 1 for c, n in carry.items() if n > 0]])
        widths.append(width)
        carry = {c: n - 1 for c, n in carry.items() if n - 1 > 0}
    return widths


@pytest.mark.parametrize("fixture", ["r2021", "r2019"])
def test_tables_are_rectangles_with_the_national_merged_headers(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    report: Report = request.getfixturevalue(fixture)
    doc = lxml.html.fromstring(render_html(report))
    for table in doc.xpath("//table[@data-table]"):
        assert len(set(_grid_width(table))) == 1, table.get("data-table")

    def th(table: str, text: str) -> lxml.html.HtmlElement:
        found = doc.xpath(f"//table[@data-table='{table}']//th[normalize-space()='{text}']")
        assert found, f"{table}: no header {text}"
        return found[0]

    assert th("t3", "申请人情况").get("colspan") == "7"
    assert th("t3", "法人或其他组织").get("colspan") == "5"
    assert th("t3", "自然人").get("rowspan") == "2"
    assert th("t3", "总计").get("rowspan") == "2"
    assert th("t3", "三、本年度办理结果").get("rowspan") == str(len(report.spec.t3_result_rows()) + 1)
    assert th("t3", "（三）不予公开").get("rowspan") == "8"
    assert th("t4", "行政复议").get("colspan") == "5"
    assert th("t4", "行政诉讼").get("colspan") == "10"
    assert th("t4", "未经复议直接起诉").get("colspan") == "5"
    assert th("t4", "复议后起诉").get("colspan") == "5"
    assert th("t2", "第二十条第（一）项").get("colspan") == "4"
    assert th("t2", "第二十条第（八）项").get("colspan") == "4"


def test_narrative_text_is_escaped(r2021: Report) -> None:
    r2021.sections[5].text = '<script>alert("x")</script>{{ 7*7 }} & 更多'
    r2021.header.signature = "<b>鲁沙尔镇</b>"
    html = render_html(r2021)
    assert "<script>" not in html and "<b>鲁沙尔镇</b>" not in html
    text = lxml.html.fromstring(html).text_content()
    assert '<script>alert("x")</script>{{ 7*7 }} & 更多' in text
    assert "49" not in text.split("更多")[0][-20:]


def test_title_sections_signature_and_date(r2021: Report) -> None:
    doc = lxml.html.fromstring(render_html(r2021))
    assert doc.xpath("string(//h1)") == "鲁沙尔镇人民政府2024年政府信息公开工作年度报告"
    titles = [h.text_content() for h in doc.xpath("//section/h2")]
    assert titles[0] == "一、总体情况" and titles[-1] == "六、其他需要报告的事项" and len(titles) == 6
    d = r2021.header.report_date
    assert doc.xpath("string(//footer//p[@class='date'])") == f"{d.year}年{d.month}月{d.day}日"  # type: ignore[union-attr]
    assert doc.xpath("string(//footer//p[@class='body-name'])") == "鲁沙尔镇人民政府"
    assert not doc.xpath("//aside[@id='correction']")


def test_a_correction_shows_its_note_first_with_the_first_publication_date(r2021: Report) -> None:
    meta = PublicationMeta(
        version=2,
        published_at=datetime(2025, 2, 10, 2, 0, tzinfo=UTC),
        first_published_at=datetime(2025, 1, 20, 17, 0, tzinfo=UTC),  # 2025-01-21 01:00 in Beijing
        correction_note="表四行政复议数据填报有误，予以更正。",
    )
    doc = lxml.html.fromstring(render_html(r2021, meta))
    article = doc.xpath("//article")[0]
    assert article[0].tag == "aside", "the correction note comes before the title"
    note = article[0].text_content()
    assert "更正说明" in note and "表四行政复议数据填报有误" in note
    assert "2025年1月21日首次发布" in note and "2025年2月10日发布更正版" in note
