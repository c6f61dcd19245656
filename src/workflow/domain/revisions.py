"""What differs between two saved drafts, named for a person: the 历史版本 page's short summary and
the conflict message's two versions ("您的内容" / "已保存的内容").

Fields are named like the form's inputs (``cell.<table>.<row>.<col>``, ``section.<n>.text``, …) so a
browser script can find the box a difference belongs to.  Pure: no database, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.domain.formats import FORMATS, SECTION_TITLES, TABLE_NAMES
from workflow.domain.model import Report

_HEADER_LABELS = {
    "format": "报告格式",
    "header.title": "标题",
    "header.period_text": "统计期限",
    "header.signature": "落款单位",
    "header.report_date": "落款日期",
    "preamble": "前言",
}


@dataclass(frozen=True)
class Field:
    name: str  # the form field's name
    label: str  # where it is, in words
    value: str


def fields(report: Report) -> dict[str, Field]:
    """Every field a clerk can type into, with its words and value."""
    h = report.header
    out = {
        name: Field(name, _HEADER_LABELS[name], value)
        for name, value in (
            ("format", FORMATS[report.format].name),
            ("header.title", h.title),
            ("header.period_text", h.period_text),
            ("header.signature", h.signature),
            ("header.report_date", h.report_date.isoformat() if h.report_date else ""),
            ("preamble", report.preamble),
        )
    }
    for n, title in SECTION_TITLES.items():
        s = report.sections.get(n)
        out[f"section.{n}.title"] = Field(
            f"section.{n}.title", f"{title}的标题", (s.title or "") if s else ""
        )
        out[f"section.{n}.text"] = Field(f"section.{n}.text", f"{title}的正文", s.text if s else "")
    for tdef in report.spec.tables:
        table = report.tables.get(tdef.id)
        for row in tdef.rows:
            for col in row.columns:
                c = table.cell(row.key, col.key) if table else None
                name = f"cell.{tdef.id}.{row.key}.{col.key}"
                group = f"{row.group}" if row.group else ""
                label = f"{TABLE_NAMES.get(tdef.id, tdef.name)}{group}“{row.label}”行“{col.label}”列"
                out[name] = Field(name, label, c.raw.strip() if c else "")
    return out


@dataclass(frozen=True)
class Difference:
    name: str
    label: str
    old: str
    new: str


def differences(old: Report, new: Report) -> list[Difference]:
    """The fields whose values differ, in the form's order (those of `new` first)."""
    a, b = fields(old), fields(new)
    out = []
    for name in [*b, *(n for n in a if n not in b)]:
        fa, fb = a.get(name), b.get(name)
        va, vb = (fa.value if fa else ""), (fb.value if fb else "")
        f = fb or fa
        if f is not None and va.strip() != vb.strip():
            out.append(Difference(name, f.label, va, vb))
    return out


def summary(old: Report | None, new: Report) -> str:
    """In short words what changed, e.g. "改了 3 个单元格（表二、表三）；改了正文：五、…"."""
    if old is None:
        return "开始填报"
    diffs = differences(old, new)
    if not diffs:
        return "内容没有变化"
    parts = []
    if old.format is not new.format:
        parts.append(f"格式改为{FORMATS[new.format].name}")
    cells = [d for d in diffs if d.name.startswith("cell.")]
    if cells:
        tables = sorted({d.name.split(".")[1] for d in cells})
        names = "、".join(TABLE_NAMES.get(t, t) for t in tables)
        parts.append(f"改了 {len(cells)} 个单元格（{names}）")
    sections = sorted({int(d.name.split(".")[1]) for d in diffs if d.name.startswith("section.")})
    if sections:
        parts.append("改了正文：" + "、".join(SECTION_TITLES[n] for n in sections))
    header = [d.label for d in diffs if d.name in _HEADER_LABELS and d.name != "format"]
    if header:
        parts.append("改了" + "、".join(header))
    return "；".join(parts)
