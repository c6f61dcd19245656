"""What an import would change in a draft: cells old → new, sections, header; and whether a parsed
file holds a report at all (a README does not)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.domain.formats import FORMATS, SECTION_TITLES
from workflow.domain.model import Report

_HEADER_LABELS = {
    "title": "标题",
    "period_text": "统计期限",
    "signature": "落款单位",
    "report_date": "落款日期",
}


@dataclass(frozen=True, slots=True)
class CellChange:
    table: str
    row: str
    column: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class SectionChange:
    title: str
    what: str  # 新增 / 修改 / 清空
    old_chars: int
    new_chars: int


@dataclass(slots=True)
class Preview:
    cells: list[CellChange] = field(default_factory=list)
    sections: list[SectionChange] = field(default_factory=list)
    header: list[tuple[str, str, str]] = field(default_factory=list)  # label, old, new
    format_change: tuple[str, str] | None = None

    @property
    def empty(self) -> bool:
        return not (self.cells or self.sections or self.header or self.format_change)


def has_report_structure(report: Report) -> bool:
    """Did the parse find a report: a table cell or a numbered section title?"""
    if any(s.title for s in report.sections.values()):
        return True
    return any(
        c.raw.strip() for t in report.tables.values() for cells in t.rows.values() for c in cells.values()
    )


def _raw(report: Report, tid: str, row: str, col: str) -> str:
    cell = report.table(tid).cell(row, col)
    return cell.raw.strip() if cell is not None else ""


def preview(old: Report, new: Report) -> Preview:
    out = Preview()
    if old.format is not new.format:
        out.format_change = (FORMATS[old.format].name, FORMATS[new.format].name)
    spec = FORMATS[new.format]
    for t in spec.tables:
        for r in t.rows:
            for c in r.columns:
                before = _raw(old, t.id, r.key, c.key)  # 表三/表四 keep their keys across formats
                after = _raw(new, t.id, r.key, c.key)
                if before != after:
                    out.cells.append(CellChange(t.name, r.label, c.label, before, after))
    for n, title in SECTION_TITLES.items():
        a, b = old.section_text(n).strip(), new.section_text(n).strip()
        if a == b:
            continue
        what = "新增" if not a else ("清空" if not b else "修改")
        out.sections.append(SectionChange(title, what, len(a), len(b)))
    if old.preamble.strip() != new.preamble.strip():
        a, b = old.preamble.strip(), new.preamble.strip()
        out.sections.append(
            SectionChange("前言", "新增" if not a else ("清空" if not b else "修改"), len(a), len(b))
        )
    for key, label in _HEADER_LABELS.items():
        a, b = str(getattr(old.header, key) or ""), str(getattr(new.header, key) or "")
        if a != b:
            out.header.append((label, a, b))
    return out
