"""Imports that show before they replace: a parsed file, a format switch or last year's report is kept
as a *pending import* until the clerk confirms it on the preview page.

Pending imports are files under `data_dir/pending-imports/`, one JSON file per import, named by a
random id (128 bits).  Each is bound to the user who made it and to the report: another user, or
the same id on another report, finds nothing.  They expire after a day (`PENDING_TTL`) and are
dropped on confirm or cancel; stale files are swept whenever a new one is written.  Nothing is kept
for anonymous requests (every route that makes one needs a signed-in clerk of the report's body).
Confirming applies the import through `drafts.store_import` with the draft revision the preview
was made from: if the draft changed meanwhile the import is refused (StaleVersion), never merged
silently.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from workflow.db.models import ReportRow
from workflow.domain.carry_over import Carried, start_from
from workflow.domain.format_switch import Lost, switch_format
from workflow.domain.formats import FormatId
from workflow.domain.import_preview import has_report_structure
from workflow.domain.model import Report
from workflow.importers.types import ImportNote, ImportResult
from workflow.services import checks, drafts
from workflow.services.errors import ImportRejected, NotFound, StaleVersion

PENDING_TTL = 24 * 3600  # seconds a pending import is kept
NO_REPORT = (
    "未在文件中找到年度报告的表格或章节：请上传按国家模板编写的年度报告（.docx/.pdf/.xlsx/文本）。"
    "报告内容未改变。"
)
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KINDS = {
    "upload": "文件导入",
    "format": "更换报告格式",
    "last_year": "以上年度报告为基础",
    "xlsx": "Excel 表格导入",
}


@dataclass(slots=True)
class Pending:
    id: str
    user_id: int
    report_id: int
    base_revision: int
    kind: str  # upload / format / last_year / xlsx
    filename: str
    size: int
    report: Report
    notes: list[dict[str, str]] = field(default_factory=list)
    lost: list[dict[str, str]] = field(default_factory=list)  # cells without a counterpart
    carried: list[dict[str, str]] = field(default_factory=list)  # cells carried from last year
    created: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "report_id": self.report_id,
            "base_revision": self.base_revision,
            "kind": self.kind,
            "filename": self.filename,
            "size": self.size,
            "report": self.report.to_dict(),
            "notes": self.notes,
            "lost": self.lost,
            "carried": self.carried,
            "created": self.created,
        }


def _dir(data_dir: Path) -> Path:
    d = Path(data_dir) / "pending-imports"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _sweep(folder: Path, now: float) -> None:
    for f in folder.glob("*.json"):
        try:
            if now - f.stat().st_mtime > PENDING_TTL:
                f.unlink()
        except OSError:
            continue


def save_pending(data_dir: Path, pending: Pending) -> str:
    folder = _dir(data_dir)
    now = time.time()
    _sweep(folder, now)
    pending.id = secrets.token_urlsafe(16)
    pending.created = now
    tmp = folder / f".{pending.id}.tmp"
    tmp.write_text(json.dumps(pending.to_json(), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, folder / f"{pending.id}.json")
    return pending.id


def load_pending(data_dir: Path, pending_id: str, *, user_id: int, report_id: int) -> Pending | None:
    """The pending import, if it exists, is this user's for this report and has not expired."""
    if not _ID.fullmatch(pending_id or ""):
        return None
    path = _dir(data_dir) / f"{pending_id}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("user_id") != user_id or data.get("report_id") != report_id:
        return None
    if time.time() - float(data.get("created", 0)) > PENDING_TTL:
        drop_pending(data_dir, pending_id)
        return None
    return Pending(
        id=pending_id,
        user_id=user_id,
        report_id=report_id,
        base_revision=int(data["base_revision"]),
        kind=str(data["kind"]),
        filename=str(data.get("filename", "")),
        size=int(data.get("size", 0)),
        report=Report.from_dict(data["report"]),
        notes=list(data.get("notes", [])),
        lost=list(data.get("lost", [])),
        carried=list(data.get("carried", [])),
        created=float(data["created"]),
    )


def drop_pending(data_dir: Path, pending_id: str) -> None:
    if _ID.fullmatch(pending_id or ""):
        (_dir(data_dir) / f"{pending_id}.json").unlink(missing_ok=True)


# ---------------------------------------------------------------- building a pending import


def is_xlsx(data: bytes, filename: str) -> bool:
    return filename.lower().endswith(".xlsx") or (data[:4] == b"PK\x03\x04" and b"xl/workbook" in data[:4096])


def parse_file(data: bytes, filename: str, *, body_type: str, year: int, body_name: str) -> ImportResult:
    """The report in an uploaded file, parsed in the sandbox; ImportRejected if it holds no report."""
    try:
        result: ImportResult = drafts.parse_upload(
            data, filename, body_type=body_type, year=year, body_name=body_name
        )
    except ImportRejected as exc:
        if "不是一份政府信息公开工作年度报告" in exc.message:
            raise ImportRejected(NO_REPORT) from None
        raise
    if not has_report_structure(result.report):
        raise ImportRejected(NO_REPORT)
    return result


def _notes(notes: list[ImportNote]) -> list[dict[str, str]]:
    return [{"where": str(n.where), "message": str(n.message)} for n in notes]


def with_tables_of(current: Report, tables_only: Report) -> Report:
    """The current draft with its tables (and format) replaced: an Excel file carries only tables."""
    merged = Report.from_dict(current.to_dict())
    merged.format = tables_only.format
    merged.tables = Report.from_dict(tables_only.to_dict()).tables
    return merged


def upload_pending(
    data_dir: Path,
    *,
    user_id: int,
    report: ReportRow,
    current: Report,
    data: bytes,
    filename: str,
    revision: int,
    body_type: str,
    year: int,
    body_name: str,
) -> str:
    result = parse_file(data, filename, body_type=body_type, year=year, body_name=body_name)
    xlsx = is_xlsx(data, filename)
    content = with_tables_of(current, result.report) if xlsx else result.report
    pending = Pending(
        id="",
        user_id=user_id,
        report_id=report.id,
        base_revision=revision,
        kind="xlsx" if xlsx else "upload",
        filename=filename,
        size=len(data),
        report=content,
        notes=_notes(result.notes),
    )
    return save_pending(data_dir, pending)


def _lost(items: list[Lost]) -> list[dict[str, str]]:
    return [{"where": x.where, "value": x.raw} for x in items]


def _carried(items: list[Carried]) -> list[dict[str, str]]:
    return [{"where": c.where, "value": c.value, "source": c.source} for c in items]


def format_pending(
    data_dir: Path, *, user_id: int, report_id: int, current: Report, target: FormatId, revision: int
) -> str:
    switched, lost = switch_format(current, target)
    pending = Pending(
        id="",
        user_id=user_id,
        report_id=report_id,
        base_revision=revision,
        kind="format",
        filename="",
        size=0,
        report=switched,
        lost=_lost(lost),
    )
    return save_pending(data_dir, pending)


def last_year_report(session: Session, report: ReportRow) -> tuple[Report | None, bool]:
    """Last year's report of the body: its last submitted (approved / published) version; else the
    office's imported baseline of it (services/baselines.py: a draft without versions), flagged."""
    return checks.previous_report(session, report)


def last_year_pending(
    data_dir: Path,
    *,
    user_id: int,
    report_id: int,
    previous: Report,
    year: int,
    body_name: str,
    body_type: str,
    revision: int,
    filename: str = "",
) -> str:
    content, carried = start_from(previous, year=year, body_name=body_name, body_type=body_type)
    pending = Pending(
        id="",
        user_id=user_id,
        report_id=report_id,
        base_revision=revision,
        kind="last_year",
        filename=filename,
        size=0,
        report=content,
        carried=_carried(carried),
    )
    return save_pending(data_dir, pending)


# ---------------------------------------------------------------- confirming


def apply_pending(
    session: Session, data_dir: Path, pending: Pending, *, actor_id: int
) -> list[dict[str, str]]:
    """Store the pending import as the new draft; the notes to show (what was carried, what the
    importer could not map).  StaleVersion if the draft changed since the preview."""
    notes = list(pending.notes)
    notes += [{"where": c["where"], "message": f"{c['value']}（{c['source']}）"} for c in pending.carried]
    result = ImportResult(pending.report, [ImportNote(n["where"], n["message"]) for n in notes])
    try:
        drafts.store_import(
            session,
            report_id=pending.report_id,
            imported=result,
            filename=pending.filename or KINDS.get(pending.kind, pending.kind),
            size=pending.size,
            expected_revision=pending.base_revision,
            actor_id=actor_id,
        )
    except StaleVersion:
        raise StaleVersion(
            "在您查看导入预览之后，草稿又被保存过（可能是自动保存或其他人的修改），为免覆盖这些修改，导入没有执行。"
            "请回到填报页面重新导入。"
        ) from None
    except NotFound:
        raise
    drop_pending(data_dir, pending.id)
    return notes
