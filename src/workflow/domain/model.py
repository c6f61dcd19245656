"""The report model: header, six sections' text and 表二/表三/表四 as keyed cells.

A cell may be blank (present but empty, or "/", "-", "无") or missing (its row never arrived):
both are findings for the rules, never a crash.  The model keeps the raw text of each cell so
that a finding can say what the submitter actually wrote.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow.domain.formats import FORMATS, FormatId, ReportFormat

# One parser for every number that enters (form, API, importers, drafts read back): domain/numbers.py.
from workflow.domain.numbers import BLANK_MARKERS as BLANK_MARKERS
from workflow.domain.numbers import Number as Number
from workflow.domain.numbers import parse_number as parse_number


@dataclass(slots=True, unsafe_hash=True)
class Cell:
    """One table cell: what was written, and its number if it is one.  Immutable by convention: the
    class is not frozen, since frozen's object.__setattr__ slows the constructor and importers make
    hundreds of cells per report."""

    raw: str
    value: Number | None

    def __init__(self, raw: str, value: Number | None) -> None:
        self.raw = raw
        self.value = value

    @classmethod
    def of(cls, value: Number | str | None) -> Cell:
        if value is None:
            return cls("", None)
        if isinstance(value, str):
            return cls(value, parse_number(value))
        raw = str(value)  # a number set by code: read back like typed text, so the same limits hold
        return cls(raw, value if type(value) is int and 0 <= value <= 1_000_000_000 else parse_number(raw))

    @property
    def is_blank(self) -> bool:
        return self.raw.strip() in BLANK_MARKERS

    @property
    def is_number(self) -> bool:
        return self.value is not None


@dataclass(slots=True)
class Table:
    """A table's cells by row key and column key.  A row absent from `rows` is missing."""

    present: bool = True
    rows: dict[str, dict[str, Cell]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # row key -> label as written
    extra_rows: list[str] = field(default_factory=list)  # labels that matched no row

    def cell(self, row: str, col: str) -> Cell | None:
        r = self.rows.get(row)
        return None if r is None else r.get(col)

    def value(self, row: str, col: str) -> Number | None:
        c = self.cell(row, col)
        return None if c is None else c.value

    def set(self, row: str, col: str, value: Number | str | None) -> None:
        self.rows.setdefault(row, {})[col] = Cell.of(value)


@dataclass(slots=True)
class Section:
    title: str | None  # as written; None when the title line is missing
    text: str = ""


@dataclass(slots=True)
class Header:
    body_name: str = ""
    body_type: str = "other"
    year: int | None = None
    title: str = ""
    period_text: str = ""  # the 统计期限 sentence as written, "" when absent
    period_start: date | None = None
    period_end: date | None = None
    report_date: date | None = None  # 落款 date
    signature: str = ""  # 落款 body name


@dataclass(slots=True)
class Report:
    header: Header = field(default_factory=Header)
    format: FormatId = FormatId.F2021
    format_markers: list[str] = field(default_factory=list)  # labels that betrayed the format
    preamble: str = ""
    sections: dict[int, Section] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    aggregates_bodies: bool = False  # a summary report that says it aggregates its bodies

    @property
    def spec(self) -> ReportFormat:
        return FORMATS[self.format]

    def table(self, table_id: str) -> Table:
        return self.tables.get(table_id) or Table(present=False)

    def section_text(self, number: int) -> str:
        s = self.sections.get(number)
        return s.text if s else ""

    @property
    def full_text(self) -> str:
        parts = [self.header.title, self.preamble]
        parts += [s.text for _, s in sorted(self.sections.items())]
        return "\n".join(parts)

    # ------------------------------------------------------------ serialisation
    def to_dict(self) -> dict[str, Any]:
        h = self.header
        return {
            "header": {
                "body_name": h.body_name,
                "body_type": h.body_type,
                "year": h.year,
                "title": h.title,
                "period_text": h.period_text,
                "period_start": _iso(h.period_start),
                "period_end": _iso(h.period_end),
                "report_date": _iso(h.report_date),
                "signature": h.signature,
            },
            "format": self.format.value,
            "format_markers": list(self.format_markers),
            "preamble": self.preamble,
            "aggregates_bodies": self.aggregates_bodies,
            "sections": {
                str(n): {"title": s.title, "text": s.text} for n, s in sorted(self.sections.items())
            },
            "tables": {
                tid: {
                    "present": t.present,
                    "rows": {rk: {ck: c.raw for ck, c in cells.items()} for rk, cells in t.rows.items()},
                    "labels": dict(t.labels),
                    "extra_rows": list(t.extra_rows),
                }
                for tid, t in sorted(self.tables.items())
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        h = data.get("header", {})
        header = Header(
            body_name=h.get("body_name", ""),
            body_type=h.get("body_type", "other"),
            year=h.get("year"),
            title=h.get("title", ""),
            period_text=h.get("period_text", ""),
            period_start=_date(h.get("period_start")),
            period_end=_date(h.get("period_end")),
            report_date=_date(h.get("report_date")),
            signature=h.get("signature", ""),
        )
        tables = {
            tid: Table(
                present=t.get("present", True),
                rows={
                    rk: {ck: Cell.of("" if raw is None else str(raw)) for ck, raw in cells.items()}
                    for rk, cells in t.get("rows", {}).items()
                },
                labels=dict(t.get("labels", {})),
                extra_rows=list(t.get("extra_rows", [])),
            )
            for tid, t in data.get("tables", {}).items()
        }
        return cls(
            header=header,
            format=FormatId(data.get("format", "2021")),
            format_markers=list(data.get("format_markers", [])),
            preamble=data.get("preamble", ""),
            aggregates_bodies=bool(data.get("aggregates_bodies", False)),
            sections={
                int(n): Section(s.get("title"), s.get("text", ""))
                for n, s in data.get("sections", {}).items()
            },
            tables=tables,
        )

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON: identical content, identical hash."""
        blob = json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _date(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def empty_report(fmt: FormatId = FormatId.F2021) -> Report:
    """A report with every table present and no rows: what a blank web form starts from."""
    return Report(format=fmt, tables={t.id: Table() for t in FORMATS[fmt].tables})
