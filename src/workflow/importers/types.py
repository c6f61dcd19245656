"""What every importer returns, the one exception it may raise, and what the block walk found
(`assemble` fills a Walk, `finish` maps it to a Report)."""

from __future__ import annotations

from dataclasses import dataclass, field

from workflow.domain.model import Report

from .grid import where


class ImportFailure(Exception):
    """The input cannot be read as a report; str(e) is a Chinese message a clerk understands."""


@dataclass(slots=True)
class ImportNote:
    where: str  # e.g. "表三 第12行"
    message: str  # what could not be mapped (Chinese)


@dataclass(slots=True)
class ImportResult:
    report: Report
    notes: list[ImportNote] = field(default_factory=list)


@dataclass(slots=True)
class RawRow:
    table: str
    key: str
    label: str  # as written
    cells: list[str]
    index: int  # the table row's position among all rows, for notes

    @property
    def where(self) -> str:
        return where(self.table, self.index)


@dataclass(slots=True)
class Walk:
    """What the walk over the blocks found, before cells are mapped to columns."""

    title: str | None = None
    preamble: list[str] = field(default_factory=list)
    titles: dict[int, str | None] = field(default_factory=dict)
    lines: dict[int, list[str]] = field(default_factory=dict)
    rows: list[RawRow] = field(default_factory=list)
    extra: dict[str, list[str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    t4_labels: dict[str, str] = field(default_factory=dict)
    column_labels: dict[str, list[str]] = field(default_factory=dict)  # 表二 row key -> its header as written
    markers19: list[str] = field(default_factory=list)
    markers21: int = 0
    notes: list[ImportNote] = field(default_factory=list)
