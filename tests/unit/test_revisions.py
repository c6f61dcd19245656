"""What differs between two drafts, in words a clerk reads (domain/revisions.py)."""

from __future__ import annotations

import random
import re

from workflow.domain import revisions
from workflow.domain.model import Report
from workflow.domain.samples import sample_report


def _pair() -> tuple[Report, Report]:
    old = sample_report(random.Random(5), year=2024, body_name="鲁沙尔镇人民政府")
    return old, Report.from_dict(old.to_dict())


def test_differences_name_the_cell_and_keep_both_values():
    old, new = _pair()
    new.table("t2").set("licensing", "decisions", "十二")
    new.header.signature = "鲁沙尔镇人民政府办公室"
    diffs = {d.name: d for d in revisions.differences(old, new)}
    assert set(diffs) == {"cell.t2.licensing.decisions", "header.signature"}
    cell = diffs["cell.t2.licensing.decisions"]
    assert cell.new == "十二" and cell.old == str(old.table("t2").value("licensing", "decisions"))
    assert "表二" in cell.label and "行政许可" in cell.label
    assert not re.search(r"[A-Za-z]", cell.label + diffs["header.signature"].label)  # no row keys


def test_summary_in_short_words():
    old, new = _pair()
    assert revisions.summary(None, new) == "开始填报"
    assert revisions.summary(old, new) == "内容没有变化"
    new.table("t3").set("new", "natural", "99")
    new.table("t2").set("licensing", "decisions", "1")
    new.sections[5].text += "补充。"
    text = revisions.summary(old, new)
    assert text.startswith("改了 2 个单元格（表二、表三）") and "五、存在的主要问题及改进情况" in text
