"""The hard parts of reading a published PDF, each on a small PDF made here with WeasyPrint (what our
publication renderer uses) or on a committed LibreOffice print of a Word report.

What a clerk would check: the figures land in the right cells, the labels are whole, page numbers
and running headers are not read as report text, and words spread by the layout are whole again.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from workflow.importers import ImportFailure, import_bytes, import_pdf
from workflow.importers.pdf import clean, pdf_blocks

TWINS = Path(__file__).resolve().parents[2] / "corpus" / "pdf"

T2_HEAD = "<tr><th>信息内容</th><th>本年制发件数</th><th>本年废止件数</th><th>现行有效件数</th></tr>"


@cache
def _pdf(body: str, page: str = "A5", header: str = "", footer: str = "", css: str = "") -> bytes:
    from weasyprint import HTML

    from workflow.publish.fonts import report_font

    margins = ""
    if header:
        margins += f'@top-center {{ content: "{header}"; font: 8pt R; }}'
    if footer:
        margins += f"@bottom-center {{ content: {footer}; font: 9pt R; }}"
    style = f"""
      @font-face {{ font-family: R; src: url({report_font().as_uri()}); }}
      @page {{ size: {page}; margin: 18mm 14mm; {margins} }}
      body {{ font: 11pt R; }} p {{ margin: 0 0 4pt; }}
      table {{ border-collapse: collapse; width: 100%; }}
      td, th {{ border: 0.6pt solid #000; padding: 1.5pt; font-weight: normal; }}
      {css}
    """
    html = f"<html><head><style>{style}</style></head><body>{body}</body></html>"
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return pdf


def _report(body: str, **kw: str) -> object:
    return import_pdf(_pdf(body, **kw)).report


def _texts(pdf: bytes) -> list[str]:
    return [b for b in pdf_blocks(pdf) if isinstance(b, str)]


TITLE = "<p>湖东镇人民政府2024年政府信息公开工作年度报告</p>"


def test_letter_spaced_digits_and_spread_chinese_are_read_whole() -> None:
    body = (
        TITLE
        + '<p style="letter-spacing: 4pt">一、总体情况</p>'
        + '<p style="letter-spacing: 3.5pt">全年主动公开政府信息2645条，收到申请 12 件。</p>'
        + "<p>二、主动公开政府信息情况</p>"
        + f"<table>{T2_HEAD}<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>"
        + '<tr><td>行政规范性文件</td><td style="letter-spacing: 6pt">1 2 3</td><td>4</td>'
        + '<td style="text-align: justify; text-align-last: justify">665</td></tr></table>'
    )
    texts = _texts(_pdf(body))
    assert "一、总体情况" in texts
    assert any(t.startswith("全年主动公开政府信息2645条，收到申请") and "12" in t for t in texts), texts
    report = _report(body)
    normative = report.table("t2").rows["normative"]  # type: ignore[attr-defined]
    assert [normative[c].value for c in ("issued", "repealed", "in_force")] == [123, 4, 665]


def test_clean_joins_a_spread_number_and_chinese_but_not_separate_words() -> None:
    assert clean("1 2 3") == "123"
    assert clean("2 645.5") == "2645.5"
    assert clean("主 动 公 开") == "主动公开"
    assert clean("行政 许可") == "行政许可"
    assert clean("www.gov.cn 网站") == "www.gov.cn 网站"


def test_page_numbers_and_running_headers_are_dropped() -> None:
    filler = "".join(
        f"<p>第{i}段：本机关依法依规做好政府信息公开工作，及时回应社会关切。</p>" for i in range(60)
    )
    for footer in ('"- " counter(page) " -"', '"第 " counter(page) " 页 共 " counter(pages) " 页"'):
        pdf = _pdf(TITLE + "<p>一、总体情况</p>" + filler, header="湖东镇人民政府", footer=footer)
        texts = _texts(pdf)
        assert texts[0] == "湖东镇人民政府2024年政府信息公开工作年度报告"
        assert not [t for t in texts if "页" in t or t.startswith("-") or t == "湖东镇人民政府"], texts[:5]
        assert sum(1 for t in texts if t.startswith("第") and "段" in t) == 60


def test_a_one_page_report_loses_its_small_running_header_but_keeps_its_title() -> None:
    pdf = _pdf(TITLE + "<p>一、总体情况</p><p>本年度工作平稳。</p>", header="政府信息公开工作年度报告")
    assert _texts(pdf)[:2] == ["湖东镇人民政府2024年政府信息公开工作年度报告", "一、总体情况"]


def test_a_paragraph_wrapped_over_lines_and_pages_is_one_paragraph_again() -> None:
    sentence = "全年共收到政府信息公开申请70件，办结69件，1件结转下年度继续办理。" * 12
    body = TITLE + "<p>一、总体情况</p>" + f'<p style="text-indent: 2em; text-align: justify">{sentence}</p>'
    texts = _texts(_pdf(body, page="A6"))
    assert sentence in texts


def _t3(rows: int, split_label: str = "") -> str:
    head = (
        '<thead><tr><th colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</th>'
        '<th colspan="7">申请人情况</th></tr>'
        '<tr><th rowspan="2">自然人</th><th colspan="5">法人或其他组织</th><th rowspan="2">总计</th></tr>'
        "<tr><th>商业企业</th><th>科研机构</th><th>社会公益组织</th><th>法律服务机构</th><th>其他</th></tr></thead>"
    )
    labels = [
        "1.属于国家秘密",
        "2.其他法律行政法规禁止公开",
        "3.危及“三安全一稳定”",
        "4.保护第三方合法权益",
        "5.属于三类内部事务信息",
        "6.属于四类过程性信息",
        "7.属于行政执法案卷",
        "8.属于行政查询事项",
    ][:rows]
    body = ""
    for i, label in enumerate(labels):
        group = '<td rowspan="8" style="width: 8mm">（三）不予公开</td>' if i == 0 else ""
        first = '<td rowspan="8" style="width: 8mm">三、本年度办理结果</td>' if i == 0 else ""
        cells = "".join(f"<td>{i + 1 if c in (0, 6) else 0}</td>" for c in range(7))
        style = ' style="height: 90mm"' if label == split_label else ""
        body += f"<tr{style}>{first}{group}<td>{label}</td>{cells}</tr>"
    return f"<table>{head}<tbody>{body}</tbody></table>"


def test_a_table_over_two_pages_is_one_table_and_its_header_is_read_once() -> None:
    body = TITLE + "<p>三、收到和处理政府信息公开申请情况</p>" + _t3(8)
    pdf = _pdf(body, page="A6", css="td, th { font-size: 7pt; }")
    rows = [b for b in pdf_blocks(pdf) if isinstance(b, list)]
    assert sum(1 for r in rows if "申请人情况" in r) == 1  # the header repeated on page 2 is dropped
    t3 = import_pdf(pdf).report.table("t3")
    for i in range(1, 9):
        assert t3.rows[f"d{i}"]["natural"].value == i, i
        assert t3.rows[f"d{i}"]["total"].value == i, i


def test_a_row_cut_by_the_page_break_is_joined_whatever_side_its_figures_are_on() -> None:
    # WeasyPrint moves the label to the next page and leaves the figures, unruled, under the table.
    body = TITLE + "<p>三、收到和处理政府信息公开申请情况</p>" + _t3(8, split_label="5.属于三类内部事务信息")
    t3 = import_pdf(_pdf(body, page="A5", css="td, th { font-size: 7pt; }")).report.table("t3")
    assert t3.rows["d5"]["natural"].value == 5
    assert [t3.rows[f"d{i}"]["total"].value for i in range(1, 9)] == list(range(1, 9))


def test_a_row_split_by_the_page_break_in_a_word_report_printed_by_libreoffice() -> None:
    # 平潭 2021, Word → LibreOffice: "5.属于三类内部事务信" ends page 3 with its figures, "息" starts page 4.
    rows = [b for b in pdf_blocks((TWINS / "pingtan_2021.office.pdf").read_bytes()) if isinstance(b, list)]
    d5 = [r for r in rows if any("内部事务" in c for c in r)]
    assert len(d5) == 1 and "5.属于三类内部事务信息" in d5[0] and d5[0][-1] == "1"


def test_labels_wrapped_inside_narrow_cells_are_whole() -> None:
    body = (
        TITLE
        + "<p>二、主动公开政府信息情况</p>"
        + f'<table style="width: 60mm">{T2_HEAD}'
        + '<tr><td style="width: 10mm">规章</td><td>0</td><td>0</td><td>0</td></tr>'
        + '<tr><td style="width: 10mm">行政规范性文件</td><td>69</td><td>3</td><td>665</td></tr></table>'
    )
    rows = [b for b in pdf_blocks(_pdf(body)) if isinstance(b, list)]
    assert ["行政规范性文件", "69", "3", "665"] in rows
    assert ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"] in rows


def test_merged_header_cells_leave_the_figures_in_their_columns() -> None:
    body = TITLE + "<p>三、收到和处理政府信息公开申请情况</p>" + _t3(3)
    t3 = import_pdf(_pdf(body, css="td, th { font-size: 7pt; }")).report.table("t3")
    row = t3.rows["d3"]
    assert [row[c].value for c in ("natural", "commercial", "other", "total")] == [3, 0, 0, 3]


def test_a_pdf_without_text_or_broken_says_what_to_do() -> None:
    with pytest.raises(ImportFailure, match="扫描件"):
        import_bytes(_pdf('<div style="height: 20mm; background: #000"></div>'), "scan.pdf")
    good = (TWINS / "lushaer_2024.own.pdf").read_bytes()
    with pytest.raises(ImportFailure, match="PDF"):
        import_bytes(good[: len(good) // 3], "cut.pdf")


def test_a_table_drawn_without_lines_is_read_by_its_columns_and_sentences_stay_sentences() -> None:
    body = (
        TITLE
        + "<p>二、主动公开政府信息情况</p>"
        + f'<table class="bare">{T2_HEAD}'
        + "<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>"
        + "<tr><td>行政规范性文件</td><td>69</td><td>3</td><td>665</td></tr></table>"
        + "<p>全年共公开信息 102 条，其中 12 条为政策解读。</p>"
    )
    pdf = _pdf(body, css="table.bare td, table.bare th { border: none; }")
    blocks = list(pdf_blocks(pdf))
    assert ["行政规范性文件", "69", "3", "665"] in blocks
    assert "全年共公开信息 102 条，其中 12 条为政策解读。" in blocks
    normative = import_pdf(pdf).report.table("t2").rows["normative"]
    assert [normative[c].value for c in ("issued", "repealed", "in_force")] == [69, 3, 665]


def test_a_file_far_longer_than_any_report_is_refused_before_it_is_read() -> None:
    from workflow.importers.pdf import MAX_PAGES

    with pytest.raises(ImportFailure, match=f"超过 {MAX_PAGES} 页"):
        import_bytes(_blank_pages(MAX_PAGES + 1), "book.pdf")


def _blank_pages(count: int) -> bytes:
    """A valid PDF of `count` empty pages, written by hand (cheap to make, any length)."""
    kids = " ".join(f"{3 + i} 0 R" for i in range(count))
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {count} >>"]
    objects += ["<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"] * count
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj {body} endobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_a_pdf_whose_glyphs_have_no_character_codes_says_so() -> None:
    from workflow.importers.pdf import _garbled, _Line

    def line(text: str) -> _Line:
        return _Line(text, 0, 100, 100, 110, 10, 0, 800)

    assert _garbled([[line("(cid:12)(cid:845)(cid:77)"), line("2024年")]])
    assert not _garbled([[line("湖东镇人民政府2024年政府信息公开工作年度报告"), line("(cid:3)")]])
