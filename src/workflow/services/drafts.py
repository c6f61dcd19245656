"""Creating a report, saving its draft (form or upload) and explaining warnings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import Body, DraftRevision, ReportRow, Season, WarningExplanation
from workflow.domain import revisions as revision_diff
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
    _record_revision(session, report.id, 1, report.draft, None, actor_id, "create")
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
    session: Session,
    *,
    report_id: int,
    content: Report,
    expected_revision: int,
    actor_id: int | None,
    kind: str = "save",
    explanations: dict[str, str] | None = None,
) -> int:
    """Store a new draft; returns the new revision.  A returned / needs_fixes report goes back to draft.

    `explanations` (finding key -> text), when given, are stored in the same transaction
    (`explain_warnings`): the form's one save button and its autosave keep the draft and the
    explanations typed beside it together, or neither."""
    if explanations:
        _check_explanations(explanations)  # before anything is written
    revision = _store_draft(session, report_id, content.to_dict(), expected_revision, actor_id, kind)
    if explanations:
        _store_explanations(session, report_id, explanations, actor_id)
    audit.record(
        session, "report.save_draft", actor_id=actor_id, report_id=report_id, revision=revision, kind=kind
    )
    return revision


def _store_draft(
    session: Session,
    report_id: int,
    draft: dict[str, Any],
    expected_revision: int,
    actor_id: int | None,
    kind: str = "save",
) -> int:
    report = get_report(session, report_id)
    old_draft = report.draft
    state = ReportState(report.state)
    if state not in EDITABLE_STATES:
        raise InvalidTransition(f"报告当前状态为“{STATE_LABELS[state]}”，不能修改")
    if report.draft_revision != expected_revision:
        raise _stale(report)
    guard = [ReportRow.draft_revision == expected_revision]
    new_values = {"draft": draft, "draft_revision": expected_revision + 1}
    if state is not ReportState.DRAFT:
        transition(session, report, ReportEvent.EDIT, actor_id=actor_id, values=new_values, where=guard)
    else:
        stmt = (
            update(ReportRow)
            .where(ReportRow.id == report_id, ReportRow.state == state.value, *guard)
            .values(**new_values)
            .execution_options(synchronize_session=False)
        )
        if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
            raise _stale(get_report(session, report_id))
    _record_revision(session, report_id, expected_revision + 1, draft, old_draft, actor_id, kind)
    return expected_revision + 1


# Draft revisions kept per report: the newest KEEP_REVISIONS; of the autosaves older than a day, only
# the last of each hour (a morning of typing makes hundreds; yesterday's work is found by the hour).
KEEP_REVISIONS = 200
_PRUNE_EVERY = 20  # revisions between two prunings (pruning reads the report's revision list)


def _record_revision(
    session: Session,
    report_id: int,
    revision: int,
    draft: dict[str, Any],
    old_draft: dict[str, Any] | None,
    actor_id: int | None,
    kind: str,
) -> None:
    """The saved draft as a restorable revision, in the caller's transaction."""
    new = Report.from_dict(draft)
    old = Report.from_dict(old_draft) if old_draft else None
    changes = revision_diff.summary(old, new) if kind != "create" else "开始填报"
    session.add(
        DraftRevision(
            report_id=report_id,
            revision=revision,
            content=draft,
            kind=kind,
            changes=changes[:500],
            saved_by_id=actor_id,
        )
    )
    session.flush()
    if revision % _PRUNE_EVERY == 0:
        _prune_revisions(session, report_id)


def _prune_revisions(session: Session, report_id: int) -> None:
    rows = session.execute(
        select(DraftRevision.id, DraftRevision.kind, DraftRevision.saved_at)
        .where(DraftRevision.report_id == report_id)
        .order_by(DraftRevision.revision.desc())
    ).all()
    day_ago = now() - timedelta(days=1)
    kept, hours, drop = 0, set(), []
    for rid, kind, saved_at in rows:
        if kind == "autosave" and saved_at < day_ago:
            hour = saved_at.replace(minute=0, second=0, microsecond=0)
            if hour in hours:
                drop.append(rid)
                continue
            hours.add(hour)
        if kept >= KEEP_REVISIONS:
            drop.append(rid)
            continue
        kept += 1
    if drop:
        session.execute(delete(DraftRevision).where(DraftRevision.id.in_(drop)))


def revision_list(session: Session, report_id: int) -> list[Any]:
    """The report's saved revisions, newest first (without their content)."""
    return list(
        session.execute(
            select(
                DraftRevision.revision,
                DraftRevision.kind,
                DraftRevision.changes,
                DraftRevision.saved_at,
                DraftRevision.saved_by_id,
            )
            .where(DraftRevision.report_id == report_id)
            .order_by(DraftRevision.revision.desc())
        ).all()
    )


def last_revision(session: Session, report_id: int, revision: int) -> DraftRevision | None:
    return session.scalar(
        select(DraftRevision).where(DraftRevision.report_id == report_id, DraftRevision.revision == revision)
    )


@transactional
def restore_revision(
    session: Session, *, report_id: int, revision: int, expected_revision: int, actor_id: int | None
) -> int:
    """Save the content of an earlier revision as a new revision (so a restore can itself be undone)."""
    old = last_revision(session, report_id, revision)
    if old is None:
        raise NotFound(
            f"找不到第 {revision} 次保存的内容（较早的自动保存会按小时合并），请在列表中另选一个版本"
        )
    content = dict(old.content)
    new_revision = _store_draft(session, report_id, content, expected_revision, actor_id, "restore")
    row = last_revision(session, report_id, new_revision)
    if row is not None:
        row.changes = f"恢复到第 {revision} 次保存的内容"
    audit.record(
        session,
        "report.restore_revision",
        actor_id=actor_id,
        report_id=report_id,
        revision=new_revision,
        restored=revision,
    )
    return new_revision


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
    revision = _store_draft(
        session, report_id, imported.report.to_dict(), expected_revision, actor_id, "import"
    )
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


def _check_explanations(texts: dict[str, str]) -> None:
    """Refuse the whole set if one text is too long (nothing is stored): the message says which."""
    for n, (key, text) in enumerate(texts.items(), start=1):
        if not key or len(key) > 200:
            raise ServiceError(
                "说明所对应的警告不存在，请刷新页面后重新填写（请先复制您写的说明）。", code=422
            )
        if len(text.strip()) > EXPLANATION_MAX_CHARS:
            raise ServiceError(
                f"第 {n} 条警告的说明超过 {EXPLANATION_MAX_CHARS} 字（现有 {len(text.strip())} 字），"
                "请删减后再保存；其他内容这次也没有保存，仍在页面上。",
                code=422,
            )


def _store_explanations(session: Session, report_id: int, texts: dict[str, str], actor_id: int | None) -> int:
    """Store the explanations that changed (an emptied box removes its explanation); returns how many."""
    rows = {
        r.finding_key: r
        for r in session.scalars(
            select(WarningExplanation).where(
                WarningExplanation.report_id == report_id, WarningExplanation.finding_key.in_(list(texts))
            )
        )
    }
    changed = 0
    for key, raw in texts.items():
        text, row = raw.strip(), rows.get(key)
        if row is None and text:
            session.add(WarningExplanation(report_id=report_id, finding_key=key, text=text, by_id=actor_id))
        elif row is not None and not text:
            session.delete(row)
        elif row is not None and row.text != text:
            row.text, row.by_id, row.at = text, actor_id, now()
        else:
            continue
        changed += 1
    session.flush()
    if changed:
        audit.record(
            session, "report.explain_warnings", actor_id=actor_id, report_id=report_id, changed=changed
        )
    return changed


@transactional
def explain_warnings(session: Session, *, report_id: int, texts: dict[str, str], actor_id: int | None) -> int:
    """Store every warning's explanation typed in the one panel, in one transaction; returns how many
    changed.  One text too long refuses them all (nothing lost: the page keeps what was typed)."""
    _check_explanations(texts)
    report = get_report(session, report_id)
    if ReportState(report.state) not in EDITABLE_STATES:
        raise InvalidTransition("报告已提交，不能再修改警告说明；如需修改，请先撤回报告。")
    return _store_explanations(session, report_id, texts, actor_id)
