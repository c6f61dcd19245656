"""The rule engine: rules are data, findings carry where they point and by how much.

A rule is (id, severity, family, title, check).  `check(ctx, out)` looks at the report and
calls `out.add(...)` for each finding or `out.skip(reason)` when it cannot judge: a check that
cannot be judged is reported as not assessed, never as a pass (RULES.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from workflow.domain.formats import FORMATS, SECTION_NUMERALS, TABLE_NAMES
from workflow.domain.model import Number, Report, Table


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"


SEVERITY_LABELS: Final = {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.NOTICE: "提示"}
SEVERITY_ORDER: Final = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.NOTICE: 2}


# The value classes below are dataclasses (eq, repr) without frozen=True: frozen's object.__setattr__
# per field is a measurable share of validate-only.  Treat them as immutable (hence unsafe_hash: they
# stay hashable, as they were when frozen).


@dataclass(slots=True, unsafe_hash=True)
class Locator:
    """Where a finding points: section number, table id, row key, column key (each optional)."""

    section: int | None
    table: str | None
    row: str | None
    column: str | None

    def __init__(
        self,
        section: int | None = None,
        table: str | None = None,
        row: str | None = None,
        column: str | None = None,
    ) -> None:
        self.section = section
        self.table = table
        self.row = row
        self.column = column

    @property
    def key(self) -> str:
        return "/".join(
            "" if v is None else str(v) for v in (self.section, self.table, self.row, self.column)
        )

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "table": self.table, "row": self.row, "column": self.column}

    def describe(self) -> str:
        """Chinese description: 第三部分 表三 “一、本年新收政府信息公开申请数量”行 “总计”列."""
        parts = []
        if self.section is not None:
            parts.append(f"第{SECTION_NUMERALS.get(self.section, self.section)}部分")
        if self.table:
            parts.append(TABLE_NAMES.get(self.table, self.table))
        if self.row:
            parts.append(f"“{_TABLE_ROW_LABELS.get((self.table, self.row), '其他')}”行")
        if self.column:
            parts.append(f"“{_TABLE_COLUMN_LABELS.get((self.table, self.column), '其他')}”列")
        return " ".join(parts) or "全文"


def _table_labels() -> tuple[dict[tuple[str | None, str], str], dict[tuple[str | None, str], str]]:
    """Row and column labels of the national formats by (table id, key): a person reads the label,
    never the key (the 2021 format's label wins where both formats use a key)."""
    rows: dict[tuple[str | None, str], str] = {}
    columns: dict[tuple[str | None, str], str] = {}
    for fmt in FORMATS.values():
        for table in fmt.tables:
            for row in table.rows:
                rows.setdefault((table.id, row.key), row.label)
                for col in row.columns:
                    columns.setdefault((table.id, col.key), col.label)
    return rows, columns


_TABLE_ROW_LABELS, _TABLE_COLUMN_LABELS = _table_labels()


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral_value() else format(v, "f")
    return v


@dataclass(slots=True, unsafe_hash=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    where: Locator
    expected: Any
    actual: Any
    difference: Any

    def __init__(
        self,
        rule: str,
        severity: Severity,
        message: str,
        where: Locator,
        expected: Any = None,
        actual: Any = None,
        difference: Any = None,
    ) -> None:
        self.rule = rule
        self.severity = severity
        self.message = message
        self.where = where
        self.expected = expected
        self.actual = actual
        self.difference = difference

    @property
    def key(self) -> str:
        """Stable across re-checks: rule id + locator (RULES.md, stable finding keys)."""
        return f"{self.rule}@{self.where.key}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "key": self.key,
            "severity": self.severity.value,
            "message": self.message,
            "where": self.where.to_dict(),
            "expected": _plain(self.expected),
            "actual": _plain(self.actual),
            "difference": _plain(self.difference),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        return cls(
            rule=d["rule"],
            severity=Severity(d["severity"]),
            message=d["message"],
            where=Locator(**d.get("where", {})),
            expected=d.get("expected"),
            actual=d.get("actual"),
            difference=d.get("difference"),
        )


@dataclass(slots=True, unsafe_hash=True)
class NotAssessed:
    rule: str
    reason: str

    def __init__(self, rule: str, reason: str) -> None:
        self.rule = rule
        self.reason = reason

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "reason": self.reason}


@dataclass(slots=True)
class Context:
    """Everything a rule may look at.  `today` makes date rules deterministic."""

    report: Report
    previous: Report | None
    previous_imported: bool  # prev came from an import, not a report filed here (E1)
    today: date
    # Per-report scratch space for rules that share an expensive scan (rules/textscan.py).
    cache: dict[str, Any]

    def __init__(
        self,
        report: Report,
        previous: Report | None = None,
        previous_imported: bool = False,
        today: date | None = None,
    ) -> None:
        self.report = report
        self.previous = previous
        self.previous_imported = previous_imported
        self.today = today or date.today()
        self.cache = {}

    @property
    def year(self) -> int | None:
        return self.report.header.year


class Emitter:
    """Collects one rule's findings and skips."""

    __slots__ = ("rule", "findings", "skipped")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.findings: list[Finding] = []
        self.skipped: list[NotAssessed] = []

    def add(
        self,
        where: Locator,
        message: str | None = None,
        *,
        expected: Any = None,
        actual: Any = None,
        difference: Any = None,
        severity: Severity | None = None,
    ) -> None:
        if difference is None and isinstance(expected, int | Decimal) and isinstance(actual, int | Decimal):
            difference = actual - expected
        self.findings.append(
            Finding(
                rule=self.rule.id,
                severity=severity or self.rule.severity,
                message=message or self.rule.title,
                where=where,
                expected=expected,
                actual=actual,
                difference=difference,
            )
        )

    def skip(self, reason: str) -> None:
        self.skipped.append(NotAssessed(self.rule.id, reason))


Check = Callable[[Context, Emitter], None]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    family: str
    title: str  # the Chinese message a township clerk understands
    check: Check
    needs_previous: bool = False


@dataclass(slots=True)
class ValidationResult:
    findings: list[Finding]
    not_assessed: list[NotAssessed]
    catalog_version: str

    def __init__(
        self, findings: list[Finding], not_assessed: list[NotAssessed], catalog_version: str
    ) -> None:
        self.findings = findings
        self.not_assessed = not_assessed
        self.catalog_version = catalog_version

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def has_errors(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)

    def by_rule(self, rule_id: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule_id]

    def to_dict(self) -> dict[str, Any]:
        return {
            "catalog_version": self.catalog_version,
            "findings": [f.to_dict() for f in self.findings],
            "not_assessed": [n.to_dict() for n in self.not_assessed],
        }


def run_rules(rules: Iterable[Rule], ctx: Context, catalog_version: str) -> ValidationResult:
    findings: list[Finding] = []
    skipped: list[NotAssessed] = []
    no_previous = ctx.previous is None
    # One emitter for the whole run, its lists replaced only after a rule used them: most rules find
    # nothing, and two fresh lists per rule were a measurable share of validate-only.
    out: Emitter | None = None
    for rule in rules:
        if no_previous and rule.needs_previous:
            skipped.append(NotAssessed(rule.id, "没有上一年度报告，无法进行跨年度核对"))
            continue
        if out is None:
            out = Emitter(rule)
        else:
            out.rule = rule
        rule.check(ctx, out)
        if out.findings:
            got = out.findings
            if len(got) > 1:
                got = _dedupe(got)
                if len(got) > MAX_PER_RULE:
                    got = group_findings(rule, got)
            findings.extend(got)
            out.findings = []
            # A rule that reported something was assessed: it is not also listed as not assessed
            # (what it could not judge besides is no news next to what it found).
            out.skipped = []
        if out.skipped:
            skipped.extend(out.skipped)
            out.skipped = []
    findings.sort(key=lambda f: (f.where.section or 0, SEVERITY_ORDER[f.severity], f.rule))
    return ValidationResult(findings, skipped, catalog_version)


# No rule speaks more than this many times about one report: beyond it, findings are grouped by
# column, then by table, then by section (a report with five blank columns gets five findings, not 125).
MAX_PER_RULE: Final = 10


def group_findings(rule: Rule, findings: list[Finding]) -> list[Finding]:
    """At most MAX_PER_RULE findings: alike findings merged, by column, then table, then section."""
    levels: tuple[Callable[[Locator], tuple[Any, ...]], ...] = (
        lambda w: (w.section, w.table, w.column) if w.table and w.column else (id(w),),
        lambda w: (w.section, w.table) if w.table else (w.section, w.row, w.column),
        lambda w: (w.section,),
        lambda w: (),
    )
    got = findings
    for level in levels:
        if len(got) <= MAX_PER_RULE:
            break
        got = _merge(rule, got, level)
    return got


def _merge(rule: Rule, findings: list[Finding], key: Callable[[Locator], tuple[Any, ...]]) -> list[Finding]:
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    for f in findings:
        groups.setdefault(key(f.where), []).append(f)
    out = []
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        first = members[0]
        same = [m.where for m in members]
        where = Locator(
            _common([w.section for w in same]),
            _common([w.table for w in same]),
            _common([w.row for w in same]),
            _common([w.column for w in same]),
        )
        place = _place(where)
        severity = min((m.severity for m in members), key=SEVERITY_ORDER.__getitem__)
        out.append(
            Finding(
                rule=first.rule,
                severity=severity,
                message=f"{place}有{len(members)}处同类问题（{rule.title}），例如：{first.message}",
                where=where,
                expected=first.expected if _common([m.expected for m in members]) is not None else None,
                actual=f"{len(members)}处",
                difference=None,
            )
        )
    return out


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    rows: dict[str, str] = {}
    columns: dict[str, str] = {}
    for spec in FORMATS.values():
        for t in spec.tables:
            for r in t.rows:
                rows.setdefault(r.key, r.label)
                for c in r.columns:
                    columns.setdefault(c.key, c.label)
    return rows, columns


_ROW_LABELS, _COLUMN_LABELS = _labels()


def _place(where: Locator) -> str:
    """Where a group of findings is, in words: 表三“法律服务机构”列."""
    parts = []
    if where.table:
        parts.append(TABLE_NAMES.get(where.table, where.table))
    elif where.section is not None:
        parts.append(f"第{SECTION_NUMERALS.get(where.section, where.section)}部分")
    if where.row:
        parts.append(f"“{_ROW_LABELS.get(where.row, where.row)}”行")
    if where.column:
        parts.append(f"“{_COLUMN_LABELS.get(where.column, where.column)}”列")
    return "".join(parts) or "全文"


def _common(values: Sequence[Any]) -> Any:
    """The value all share, else None."""
    first = values[0]
    return first if all(v == first for v in values) else None


def _dedupe(findings: Sequence[Finding]) -> list[Finding]:
    seen: set[str] = set()
    out = []
    for f in findings:
        if f.key not in seen:
            seen.add(f.key)
            out.append(f)
    return out


def present_table(ctx: Context, out: Emitter, table_id: str, reason: str | None = None) -> Table | None:
    """The report's table, or None after recording that the rule could not judge without it."""
    table = ctx.report.tables.get(table_id)
    if table is None or not table.present:
        out.skip(reason or f"{TABLE_NAMES.get(table_id, table_id)}缺失，无法核对")
        return None
    return table


def total(values: Iterable[Number | None]) -> Number | None:
    """Sum, or None if any value is missing: arithmetic on a blank cell is not assessable."""
    acc: Number = 0
    for v in values:
        if v is None:
            return None
        acc = acc + v
    return acc
