"""The PDF's pagination, read back from the PDF itself (pdfplumber): what a reader of the printed
report sees on each page.

- the 落款 and its date are on the page where the last section ends (never a date alone on a page);
- 表二 never continues on a page without its headers: every page holding 表二 rows holds 信息内容;
- 表三's 三、本年度办理结果 block does not come apart, and its header rows repeat on the next page;
- the 统计期限 is printed: the report's own sentence, or the standard one when it has none.
"""

from __future__ import annotations

import io
import random

import pdfplumber
import pytest

from workflow.domain.model import Report, Section
from workflow.domain.samples import sample_report
from workflow.publish.html import PublicationMeta, period_statement
from workflow.publish.pdf import render_pdf

PARA = "本机关在本年度政府信息公开工作中坚持以公开为常态、不公开为例外，细化工作措施，做好各项工作。" * 2
END = "以上为本年度报告的最后一段。"


def _report(lead: int = 0, tail: int = 0) -> Report:
    r = sample_report(random.Random(11), year=2025, body_name="甲镇人民政府", with_requests=True)
    first, last = min(r.sections), max(r.sections)
    r.sections[first] = Section(r.sections[first].title, "\n".join([r.section_text(first), *[PARA] * lead]))
    r.sections[last] = Section(r.sections[last].title, "\n".join([r.section_text(last), *[PARA] * tail, END]))
    return r


def _pages(report: Report) -> list[str]:
    with pdfplumber.open(io.BytesIO(render_pdf(report, PublicationMeta()))) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def test_the_date_stays_on_the_page_where_the_last_section_ends() -> None:
    counts = set()
    for tail in (5, 6, 7, 8):  # lengths around a page end: one of them used to leave the date alone
        report = _report(tail=tail)
        pages = _pages(report)
        counts.add(len(pages))
        date = f"{report.header.report_date.year}年{report.header.report_date.month}月{report.header.report_date.day}日"
        end_page = [i for i, text in enumerate(pages) if END in text]
        date_page = [i for i, text in enumerate(pages) if date in text and report.header.body_name in text]
        assert end_page and end_page == [date_page[-1]], (tail, end_page, date_page)
        assert pages[date_page[-1]].index(END) < pages[date_page[-1]].rindex(date)
    assert len(counts) > 1, "the lengths tried should cross a page end"


@pytest.mark.parametrize("lead", [4, 7, 10])
def test_tables_keep_their_headers_on_every_page(lead: int) -> None:
    pages = _pages(_report(lead=lead))
    t2_rows = ("规章", "行政许可", "行政处罚", "行政事业性收费")
    t2_pages = [i for i, text in enumerate(pages) if any(f"\n{label} " in text for label in t2_rows)]
    assert t2_pages
    for i in t2_pages:
        assert "信息内容" in pages[i], f"page {i + 1} has 表二 rows without their headers"
    # 表三's result block: 予以公开 … 总计 on one page, with the table's header rows on that page.
    first = [i for i, text in enumerate(pages) if "（一）予以公开" in text]
    last = [i for i, text in enumerate(pages) if "（七）总计" in text]
    assert first == last, (first, last)
    assert "申请人情况" in pages[first[0]] and "自然人" in pages[first[0]]
    assert [i for i, text in enumerate(pages) if "1.属于国家秘密" in text] == first


def test_the_statistics_period_is_printed() -> None:
    own = _report()
    assert "统计期限" in own.preamble  # the sample states it: printed as written, not twice
    assert period_statement(own) == ""
    assert sum(text.count("统计期限") for text in _pages(own)) == 1

    bare = _report()
    bare.preamble = bare.preamble.replace("本报告所列数据的统计期限为2025年1月1日至2025年12月31日。", "")
    assert "统计期限" not in bare.full_text
    text = "".join(_pages(bare)).replace("\n", "")
    assert "本报告中所列数据的统计期限自2025年1月1日起至2025年12月31日止。" in text
