"""Reports for the renderer tests: a generated 2021-format one and a hand-made 2019-format one."""

from __future__ import annotations

import random
from datetime import date

import pytest

from workflow.domain.formats import FORMATS, SECTION_TITLES, FormatId
from workflow.domain.model import Header, Report, Section, Table
from workflow.domain.samples import sample_report


def report_2019(rng: random.Random) -> Report:
    """Every cell of the 2019 试行 format filled with a distinct value, so a misplaced cell shows."""
    tables = {}
    n = 0
    for spec in FORMATS[FormatId.F2019].tables:
        t = Table()
        for row in spec.rows:
            for col in row.columns:
                n += 1
                t.set(row.key, col.key, f"{n}.5" if col.kind == "amount" else str(n))
        tables[spec.id] = t
    name = "多巴镇人民政府"
    return Report(
        header=Header(
            name, "township", 2020, f"{name}2020年政府信息公开工作年度报告", report_date=date(2021, 1, 20)
        ),
        format=FormatId.F2019,
        preamble="依据《条例》编制本报告。",
        sections={i: Section(SECTION_TITLES[i], f"第{i}部分正文。") for i in range(1, 7)},
        tables=tables,
    )


@pytest.fixture
def r2021(rng: random.Random) -> Report:
    return sample_report(rng, year=2024, body_name="鲁沙尔镇人民政府", with_requests=True)


@pytest.fixture
def r2019(rng: random.Random) -> Report:
    return report_2019(rng)
