"""鲁沙尔镇's 2024 report from the corpus, corrected the way its clerk would (for the PDF tests and docs).

The corpus file has real errors (2019 试行 labels, 表二 cut to one row, 表三's first row missing, 表四's
行政复议 blank, section 三's title missing, nothing on 信息处理费).  The corrected version moves it to
the 2021 format, fills what was blank with the zeros the text implies, and says so in its 更正说明.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from workflow.domain.formats import FORMATS, SECTION_TITLES, FormatId
from workflow.domain.model import Report, Section, Table
from workflow.importers import import_text
from workflow.publish.html import PublicationMeta

CORRECTION_NOTE = (
    "经审核，原报告使用了2019年试行版表格格式，表二缺少部分项目，表三缺少“本年新收政府信息公开申请数量”一行，"
    "表四行政复议数据为空，且未说明信息处理费收取情况。现按2021年版格式更正如下，其余内容不变。"
)
META = PublicationMeta(
    version=2,
    published_at=datetime(2025, 2, 10, 2, 0, tzinfo=UTC),
    first_published_at=datetime(2025, 1, 20, 1, 30, tzinfo=UTC),
    correction_note=CORRECTION_NOTE,
)


def corrected_lushaer(corpus: Path) -> Report:
    imported = import_text((corpus / "lushaer_2024.txt").read_text(encoding="utf-8")).report
    report = Report(header=imported.header, format=FormatId.F2021, preamble=imported.preamble)
    report.header.title = "鲁沙尔镇人民政府2024年政府信息公开工作年度报告"
    report.sections = {n: Section(SECTION_TITLES[n], imported.section_text(n)) for n in SECTION_TITLES}
    report.sections[6].text += "\n本年度未发出信息处理费收费通知，未收取信息处理费。"
    for spec in FORMATS[FormatId.F2021].tables:
        old, new = imported.table(spec.id), Table()
        for row in spec.rows:
            for col in row.columns:
                cell = old.cell(row.key, col.key)
                new.set(row.key, col.key, cell.raw if cell is not None and cell.is_number else "0")
        report.tables[spec.id] = new
    return report
