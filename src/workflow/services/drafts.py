"""Creating a report, saving its draft (form or upload) and explaining warnings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import Body, ReportRow, Season, WarningExplanation
from workflow.domain.model import Header, Report, empty_report
from workflow.domain.states import EDITABLE_STATES, STATE_LABELS, ReportEvent, ReportState
from workflow.services import audit
from workflow.services.errors import (
    ImportRejected,
    InvalidTransition,
    NotFound,
    ReportExists,
    ServiceError,
    StaleVersion,
    UploadTooLarge,
)
from workflow.services.lifecycle import get_report, transactional, transition


@transactional
def create_report(
    session: Session, *, body_id: int, season_id: int, actor_id: int | None, content: Report | None = None
) -> int:
    body = session.get(Body, body_id)
    season = session.get(Season, season_id)
    if body is None or season is None:
        raise NotFound("找不到该机关或该年度")
    started = f"{body.name}{season.report_year}年度的报告已经开始填报，已为您打开现有的报告"
    existing = _existing_report(session, body_id, season_id)
    if existing is not None:
        raise ReportExists(existing, started)
    report = ReportRow(
        body_id=body_id,
        season_id=season_id,
        state=ReportState.DRAFT.value,
        draft=(content or _blank_for(body, season)).to_dict(),
        draft_revision=1,
    )
    try:
        # A savepoint: a colleague's concurrent start (PostgreSQL) leaves this transaction usable,
        # so the report they created can be read and named.
        with session.begin_nested():
            session.add(report)
            session.flush()
    except IntegrityError:
        existing = _existing_report(session, body_id, season_id)
        if existing is None:
            raise
        raise ReportExists(existing, started) from None
    audit.record(session, "report.create", actor_id=actor_id, report_id=report.id, body_id=body_id)
    return report.id


def _existing_report(session: Session, body_id: int, season_id: int) -> int | None:
    return session.scalar(
        select(ReportRow.id).where(ReportRow.body_id == body_id, ReportRow.season_id == season_id)
    )


def _blank_for(body: Body, season: Season) -> Report:
    report = empty_report()
    report.header = Header(body_name=body.name, body_type=body.body_type, year=season.report_year)
    return report


@transactional
def save_draft(
    session: Session, *, report_id: int, content: Report, expected_revision: int, actor_id: int | None
) -> int:
    """Store a new draft; returns the new revision.  A returned / needs_fixes report goes back to draft."""
    revision = _store_draft(session, report_id, content.to_dict(), expected_revision, actor_id)
    audit.record(session, "report.save_draft", actor_id=actor_id, report_id=report_id, revision=revision)
    return revision


def _store_draft(
    session: Session, report_id: int, draft: dict[str, Any], expected_revision: int, actor_id: int | None
) -> int:
    report = get_report(session, report_id)
    state = ReportState(report.state)
    if state not in EDITABLE_STATES:
        raise InvalidTransition(f"报告当前状态为“{STATE_LABELS[state]}”，不能修改")
    if report.draft_revision != expected_revision:
        raise _stale(report)
    guard = [ReportRow.draft_revision == expected_revision]
    new_values = {"draft": draft, "draft_revision": expected_revision + 1}
    if state is not ReportState.DRAFT:
        transition(session, report, ReportEvent.EDIT, actor_id=actor_id, values=new_values, where=guard)
        return expected_revision + 1
    stmt = (
        update(ReportRow)
        .where(ReportRow.id == report_id, ReportRow.state == state.value, *guard)
        .values(**new_values)
        .execution_options(synchronize_session=False)
    )
    if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        raise _stale(get_report(session, report_id))
    return expected_revision + 1


def _stale(report: ReportRow) -> ServiceError:
    return StaleVersion(
        f"草稿已被他人保存（当前为第 {report.draft_revision} 次保存），请刷新后在最新内容上修改",
        current_revision=report.draft_revision,
    )


def import_upload(
    session: Session,
    *,
    report_id: int,
    data: bytes,
    filename: str,
    expected_revision: int,
    actor_id: int | None,
) -> list[dict[str, str]]:
    """Replace the draft with an uploaded file's content; returns the import notes (where, message).

    The file is parsed first, with no transaction open; only storing the result writes."""
    report = get_report(session, report_id)
    session.commit()  # end the read before the slow part
    imported = parse_upload(
        data,
        filename,
        body_type=report.body.body_type,
        year=report.season.report_year,
        body_name=report.body.name,
    )
    return store_import(
        session,
        report_id=report_id,
        imported=imported,
        filename=filename,
        size=len(data),
        expected_revision=expected_revision,
        actor_id=actor_id,
    )


def parse_upload(data: bytes, filename: str, *, body_type: str, year: int, body_name: str = "") -> Any:
    """The report in an uploaded file (no database: call it before any transaction opens).

    Parsed in a child process with a memory cap and a timeout (importers/sandbox.py): a hostile file
    can neither freeze the site nor leave the web process bloated."""
    from workflow.importers import ImportFailure
    from workflow.importers.sandbox import parse_isolated
    from workflow.settings import get_settings

    settings = get_settings()
    limit = settings.max_upload_bytes
    if len(data) > limit:  # before parsing anything
        raise UploadTooLarge(f"文件大小 {len(data) / 1048576:.1f} MB，超过上限 {limit / 1048576:.0f} MB")
    try:
        return parse_isolated(
            data,
            filename,
            timeout=settings.import_timeout_seconds,
            memory_limit=settings.import_memory_mb * 1024 * 1024,
            body_type=body_type,
            year=year,
            body_name=body_name,
        )
    except ImportFailure as exc:
        raise ImportRejected(f"无法读取文件“{filename}”：{exc}") from None


@transactional
def store_import(
    session: Session,
    *,
    report_id: int,
    imported: Any,
    filename: str,
    size: int,
    expected_revision: int,
    actor_id: int | None,
) -> list[dict[str, str]]:
    """Replace the draft with a parsed upload (`parse_upload`); returns the import notes."""
    revision = _store_draft(session, report_id, imported.report.to_dict(), expected_revision, actor_id)
    notes = [{"where": str(n.where), "message": str(n.message)} for n in imported.notes]
    audit.record(
        session,
        "report.import",
        actor_id=actor_id,
        report_id=report_id,
        filename=filename,
        size=size,
        revision=revision,
        notes=len(notes),
    )
    return notes


# The longest explanation of a warning, on every way in (the form, the JSON API): set here only.
EXPLANATION_MAX_CHARS = 5000


@transactional
def explain_warning(
    session: Session, *, report_id: int, finding_key: str, text: str, actor_id: int | None
) -> int:
    """Record (or replace) the explanation of one warning; keyed by the stable finding key."""
    if len(text.strip()) > EXPLANATION_MAX_CHARS:  # the one check, for the form and the API alike
        raise ServiceError(
            f"说明不能超过 {EXPLANATION_MAX_CHARS} 字（现有 {len(text.strip())} 字），请删减后再保存。",
            code=422,
        )
    report = get_report(session, report_id)
    text = text.strip()
    if not text:
        raise ServiceError("请填写说明内容", code=422)
    if ReportState(report.state) not in EDITABLE_STATES:
        raise InvalidTransition("报告已提交，不能再修改警告说明")
    row = session.scalar(
        select(WarningExplanation).where(
            WarningExplanation.report_id == report_id, WarningExplanation.finding_key == finding_key
        )
    )
    if row is None:
        row = WarningExplanation(report_id=report_id, finding_key=finding_key, text=text, by_id=actor_id)
        session.add(row)
    else:
        row.text, row.by_id, row.at = text, actor_id, now()
    session.flush()
    audit.record(session, "report.explain_warning", actor_id=actor_id, report_id=report_id, key=finding_key)
    return row.id
