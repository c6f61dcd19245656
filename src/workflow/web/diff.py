"""What changed between two reports: cell by cell for the tables, character runs for the text.

Chinese text has no spaces, so the text diff works on characters grouped into runs by difflib's
opcodes; the result is a list of (kind, text) pieces the template escapes.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from workflow.domain.formats import SECTION_TITLES
from workflow.domain.model import Report
from workflow.web.forms import cell_name, form_values


@dataclass
class ReportDiff:
    cells: dict[str, str] = field(default_factory=dict)  # field name -> old raw value (for changed cells)
    cell_count: int = 0
    sections: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # changed sections only
    header_changes: list[tuple[str, str, str]] = field(default_factory=list)
    format_changed: bool = False

    @property
    def tables_changed(self) -> set[str]:
        return {name.split(".")[1] for name in self.cells}

    @property
    def empty(self) -> bool:
        return not (self.cell_count or self.sections or self.header_changes or self.format_changed)


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Pieces ("same" | "del" | "ins", text)."""
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", old[i1:i2]))
            continue
        if i2 > i1:
            out.append(("del", old[i1:i2]))
        if j2 > j1:
            out.append(("ins", new[j1:j2]))
    return out


def diff_reports(old: Report, new: Report) -> ReportDiff:
    result = ReportDiff(format_changed=old.format is not new.format)
    before, after = form_values(old), form_values(new)
    for tdef in new.spec.tables:
        for row in tdef.rows:
            for col in row.columns:
                name = cell_name(tdef.id, row.key, col.key)
                if before.get(name, "").strip() != after.get(name, "").strip():
                    result.cells[name] = before.get(name, "")
    result.cell_count = len(result.cells)
    for n in SECTION_TITLES:
        a, b = old.section_text(n), new.section_text(n)
        if a != b:
            result.sections[n] = text_diff(a, b)
    for key, label in (
        ("header.title", "标题"),
        ("header.period_text", "统计期限"),
        ("header.report_date", "落款日期"),
    ):
        if before.get(key) != after.get(key):
            result.header_changes.append((label, before.get(key, ""), after.get(key, "")))
    return result
