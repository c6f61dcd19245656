"""Reviewers' comments as the pages show them: per section, per table cell, open or resolved, with the
version they were written on (comments are kept across rounds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import ReportVersion, ReviewComment
from workflow.domain.formats import ReportFormat


@dataclass(frozen=True, slots=True)
class Note:
    id: int
    section: int | None
    anchor: str  # "t2.row.col" for a cell comment (as td[data-cell]), "" otherwise
    where: str  # the cell in words: 表二 · 行 · 列
    text: str
    at: datetime
    version: int
    resolved_at: datetime | None

    @property
    def resolved(self) -> bool:
        return self.resolved_at is not None


@dataclass(frozen=True, slots=True)
class Notes:
    items: list[Note]

    def general(self) -> list[Note]:
        return [n for n in self.items if n.section is None]

    def of_section(self, section: int) -> list[Note]:
        return [n for n in self.items if n.section == section]

    @property
    def open_count(self) -> int:
        return sum(1 for n in self.items if not n.resolved)


def cell_words(spec: ReportFormat, table_id: str, row_key: str, column_key: str) -> str:
    """表二 · （一）行政许可 · 本年处理决定数量 — the cell as a person names it."""
    try:
        table = spec.table(table_id)
        row = table.row(row_key)
    except KeyError:
        return "表格中的一个单元格（该单元格已不在当前格式中）"
    column = next((c.label for c in row.columns if c.key == column_key), "")
    row_words = f"{row.group} {row.label}".strip() if row.group else row.label
    return " · ".join(p for p in (table.name, row_words, column) if p)


def cell_choices(spec: ReportFormat, section: int) -> list[tuple[str, str]]:
    """(anchor, words) for every cell of the section's tables: what a reviewer may comment on."""
    out = []
    for table in spec.tables:
        if table.section != section:
            continue
        for row in table.rows:
            for col in row.columns:
                out.append((f"{table.id}.{row.key}.{col.key}", cell_words(spec, table.id, row.key, col.key)))
    return out


def load(db: Session, report_id: int, spec: ReportFormat) -> Notes:
    """Every comment of the report, oldest first; cells named in words of `spec` (the shown format)."""
    q = (
        select(
            ReviewComment.id,
            ReviewComment.section,
            ReviewComment.table_id,
            ReviewComment.row_key,
            ReviewComment.column_key,
            ReviewComment.text,
            ReviewComment.at,
            ReportVersion.number,
            ReviewComment.resolved_at,
        )
        .join(ReportVersion, ReportVersion.id == ReviewComment.version_id)
        .where(ReviewComment.report_id == report_id)
        .order_by(ReviewComment.id)
    )
    items = []
    for cid, section, tid, rkey, ckey, text, at, number, resolved_at in db.execute(q):
        anchor = f"{tid}.{rkey}.{ckey}" if tid and rkey and ckey else ""
        where = cell_words(spec, tid, rkey, ckey) if anchor else ""
        items.append(Note(cid, section, anchor, where, text, at, number, resolved_at))
    return Notes(items)
