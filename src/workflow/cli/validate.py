"""`workflow validate PATH`: check one report file against the rule catalog.

Exit status: 0 no errors, 1 errors found, 2 the input could not be read as a report.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from workflow.domain.bodies import BODY_TYPE_LABELS, BodyType
from workflow.domain.formats import FORMATS, SECTION_TITLES, TABLE_NAMES
from workflow.domain.model import Report
from workflow.importers import MAX_BYTES, ImportFailure, ImportResult, import_bytes
from workflow.rules.catalog import validate
from workflow.rules.engine import SEVERITY_LABELS, Finding, Severity, ValidationResult

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "validate", help="check a report file (.txt/.docx/.html/.pdf) against the rule catalog"
    )
    p.add_argument("path")
    p.add_argument("--previous", help="last year's report of the same body (any of the same kinds, PDF too)")
    p.add_argument(
        "--body-type",
        choices=[t.value for t in BodyType],
        help="township, street, county_department, … (inferred from the name if omitted)",
    )
    p.add_argument("--year", type=int, help="report year (read from the title, 统计期限 or date if omitted)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        current = _load(args.path, body_type=args.body_type, year=args.year)
        previous = None
        if args.previous:
            prev_year = current.report.header.year - 1 if current.report.header.year else None
            previous = _load(args.previous, body_type=args.body_type, year=prev_year)
    except ImportFailure as exc:
        print(f"无法读取报告：{exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    result = validate(
        current.report,
        previous.report if previous else None,
        previous_imported=previous is not None,
        today=date.today(),
    )
    if args.format == "json":
        print(json.dumps(_as_json(current, result), ensure_ascii=False, indent=2))
    else:
        print(render_text(current, result))
    return EXIT_ERRORS if result.has_errors else EXIT_OK


def _load(path: str, **kwargs: Any) -> ImportResult:
    p = Path(path)
    if not p.is_file():
        raise ImportFailure(f"找不到文件 {path}")
    if p.stat().st_size > MAX_BYTES:
        raise ImportFailure(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB，无法作为年度报告读取")
    return import_bytes(p.read_bytes(), p.name, **kwargs)


def summary(report: Report) -> dict[str, Any]:
    h = report.header
    return {
        "body_name": h.body_name,
        "body_type": h.body_type,
        "year": h.year,
        "title": h.title,
        "format": report.format.value,
        "report_date": h.report_date.isoformat() if h.report_date else None,
        "sections": {str(n): s.title for n, s in sorted(report.sections.items())},
        "tables": {
            tid: {"present": t.present, "rows": len(t.rows)} for tid, t in sorted(report.tables.items())
        },
    }


def _as_json(imported: ImportResult, result: ValidationResult) -> dict[str, Any]:
    return {
        "report": summary(imported.report),
        "catalog_version": result.catalog_version,
        "counts": _counts(result),
        "findings": [f.to_dict() for f in result.findings],
        "not_assessed": [n.to_dict() for n in result.not_assessed],
        "import_notes": [{"where": n.where, "message": n.message} for n in imported.notes],
    }


def _counts(result: ValidationResult) -> dict[str, int]:
    return {s.value: sum(1 for f in result.findings if f.severity is s) for s in Severity}


def render_text(imported: ImportResult, result: ValidationResult) -> str:
    report = imported.report
    h = report.header
    body_type = BODY_TYPE_LABELS.get(h.body_type, h.body_type)  # type: ignore[call-overload]
    counts = _counts(result)
    lines = [
        f"{h.body_name or '（未识别机关名称）'} {h.year or '？'}年度政府信息公开工作年度报告",
        f"机关类型：{body_type}　格式：{FORMATS[report.format].name}　规则库版本：{result.catalog_version}",
        f"结论：{counts['error']} 个错误，{counts['warning']} 个警告，{counts['notice']} 个提示"
        + ("（不能提交）" if result.has_errors else ""),
    ]
    for section, findings in _group_by_section(result.findings):
        lines.append("")
        lines.append(f"【{SECTION_TITLES.get(section, '全文') if section else '全文'}】")
        lines += [_finding_line(report, f) for f in findings]
    if result.not_assessed:
        lines += ["", "【未能核对的项目】"]
        lines += [f"  {n.rule}  {n.reason}" for n in result.not_assessed]
    if imported.notes:
        lines += ["", "【导入说明】"]
        lines += [f"  {n.where}：{n.message}" for n in imported.notes]
    return "\n".join(lines)


def _group_by_section(findings: list[Finding]) -> list[tuple[int | None, list[Finding]]]:
    groups: dict[int | None, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.where.section, []).append(f)
    return sorted(groups.items(), key=lambda kv: kv[0] or 0)


def _finding_line(report: Report, f: Finding) -> str:
    where = _where_text(report, f)
    line = f"  {SEVERITY_LABELS[f.severity]} {f.rule:<3} {where}{f.message}"
    if f.expected is not None or f.actual is not None:
        diff = "" if f.difference is None else f"，差 {_num(f.difference)}"
        line += f"（应为 {_num(f.expected)}，实际 {_num(f.actual)}{diff}）"
    return line


def _where_text(report: Report, f: Finding) -> str:
    w = f.where
    if not w.table:
        return ""
    parts = [TABLE_NAMES.get(w.table, w.table)]
    if w.row:
        parts.append(f"「{_row_label(report, w.table, w.row)}」")
    if w.column:
        parts.append(f"「{_column_label(report, w.table, w.row, w.column)}」")
    return " ".join(parts) + "：" if parts else ""


def _row_label(report: Report, table: str, row: str) -> str:
    try:
        return report.spec.table(table).row(row).label
    except KeyError:
        return row


def _column_label(report: Report, table: str, row: str | None, column: str) -> str:
    try:
        spec = report.spec.table(table)
        rows = [spec.row(row)] if row else list(spec.rows)
    except KeyError:
        return column
    for r in rows:
        for c in r.columns:
            if c.key == column:
                return c.label
    return column


def _num(v: Any) -> str:
    return "—" if v is None else str(v)
