"""Database tables (SQLAlchemy 2 typed ORM).  Works on SQLite and PostgreSQL.

State changes happen only in `workflow.services`; the web, tasks and CLI read these models and call
services.  Report content is stored as `Report.to_dict()` JSON.  Timestamps are timezone-aware.
"""

from __future__ import annotations

from datetime import UTC as _UTC
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from workflow.clock import now
from workflow.domain.states import DEFAULT_STAGES, ReportState

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class TZDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware datetimes out: SQLite keeps no zone, so we store UTC and say so."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: use workflow.clock.now()")
        if dialect.name == "sqlite":
            return value.astimezone(_UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=_UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: TZDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def _fk(target: str, *, nullable: bool = False, ondelete: str | None = None) -> Mapped[Any]:
    return mapped_column(ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True)


class Jurisdiction(Base):
    """A reviewing authority's area, e.g. 西宁市湟中区."""

    __tablename__ = "jurisdictions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = _fk("jurisdictions.id", nullable=True)


class Body(Base):
    """A reporting body (行政机关): a township, street office, department…"""

    __tablename__ = "bodies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    body_type: Mapped[str] = mapped_column(String(40))  # BodyType value
    jurisdiction_id: Mapped[int] = _fk("jurisdictions.id")
    parent_id: Mapped[int | None] = _fk("bodies.id", nullable=True)
    locality: Mapped[str | None] = mapped_column(String(100))  # for per-locality deadlines
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_email: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    head_email: Mapped[str] = mapped_column(String(200), default="")
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=now)

    jurisdiction: Mapped[Jurisdiction] = relationship()


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2
    email: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))  # submitter | reviewer | admin
    body_id: Mapped[int | None] = _fk("bodies.id", nullable=True)  # submitters
    jurisdiction_id: Mapped[int | None] = _fk("jurisdictions.id", nullable=True)  # reviewers
    review_stage: Mapped[str | None] = mapped_column(String(40))  # reviewers; None = every stage
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now)

    body: Mapped[Body | None] = relationship()


class Season(Base):
    """One reporting season: the reports about `report_year`, due early the next year."""

    __tablename__ = "seasons"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_year: Mapped[int] = mapped_column(Integer, unique=True)
    stages: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_STAGES))
    internal_review_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=now)

    deadlines: Mapped[list[SeasonDeadline]] = relationship(back_populates="season")


class SeasonDeadline(Base):
    """Due date per body type, optionally narrowed to a locality (the most specific one applies)."""

    __tablename__ = "season_deadlines"
    __table_args__ = (UniqueConstraint("season_id", "body_type", "locality"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = _fk("seasons.id", ondelete="CASCADE")
    body_type: Mapped[str] = mapped_column(String(40))
    locality: Mapped[str | None] = mapped_column(String(100))
    due_date: Mapped[date] = mapped_column(Date)

    season: Mapped[Season] = relationship(back_populates="deadlines")


class Extension(Base):
    __tablename__ = "extensions"
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = _fk("seasons.id")
    body_id: Mapped[int] = _fk("bodies.id")
    new_due_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = _fk("users.id", nullable=True)
    granted_at: Mapped[datetime] = mapped_column(default=now)


class ReportRow(Base):
    """One body's report for one season: the editable draft plus where it stands.

    `latest_version` is the number of the last submitted version (0 before the first submission);
    `draft_revision` grows with every save so a stale form is detected.
    """

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("body_id", "season_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = _fk("bodies.id")
    season_id: Mapped[int] = _fk("seasons.id")
    state: Mapped[str] = mapped_column(String(20), default=ReportState.DRAFT.value, index=True)
    review_stage: Mapped[int] = mapped_column(Integer, default=0)
    draft: Mapped[dict[str, Any]] = mapped_column(default=dict)
    draft_revision: Mapped[int] = mapped_column(Integer, default=0)
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    is_correction: Mapped[bool] = mapped_column(Boolean, default=False)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    state_changed_at: Mapped[datetime] = mapped_column(default=now)
    first_published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=now)

    body: Mapped[Body] = relationship()
    season: Mapped[Season] = relationship()


class ReportVersion(Base):
    """A submitted version: immutable once written (see the before_flush guard below)."""

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("report_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = _fk("reports.id")
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    submitted_by_id: Mapped[int | None] = _fk("users.id", nullable=True)
    submitted_at: Mapped[datetime] = mapped_column(default=now)

    report: Mapped[ReportRow] = relationship()


class ValidationRun(Base):
    """One check of one version under one catalog version (unique: checked once per catalog)."""

    __tablename__ = "validation_runs"
    __table_args__ = (UniqueConstraint("version_id", "catalog_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = _fk("report_versions.id")
    catalog_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending|running|done
    findings: Mapped[list[Any]] = mapped_column(default=list)
    not_assessed: Mapped[list[Any]] = mapped_column(default=list)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    warning_count: Mapped[int] = mapped_column(Integer, default=0)
    notice_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=now)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class WarningExplanation(Base):
    """A submitter's explanation of a warning, keyed by the stable finding key (carries over re-checks)."""

    __tablename__ = "warning_explanations"
    __table_args__ = (UniqueConstraint("report_id", "finding_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = _fk("reports.id")
    finding_key: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = _fk("users.id", nullable=True)
    at: Mapped[datetime] = mapped_column(default=now)


class DraftRevision(Base):
    """One saved state of a draft (every save, autosave, import and restore), restorable from 历史版本.

    Written in the same transaction as the draft itself; `changes` says in short words what changed
    from the revision before.  Pruned per report (services/drafts.py: KEEP_REVISIONS)."""

    __tablename__ = "draft_revisions"
    __table_args__ = (UniqueConstraint("report_id", "revision"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = _fk("reports.id")
    revision: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]]
    kind: Mapped[str] = mapped_column(String(20), default="save")  # save|autosave|import|restore|create
    changes: Mapped[str] = mapped_column(Text, default="")
    saved_by_id: Mapped[int | None] = _fk("users.id", nullable=True)
    saved_at: Mapped[datetime] = mapped_column(default=now)


class FindingContest(Base):
    """A submitter's contest of an error the checker raised ("the checker is wrong here"), keyed like
    explanations by the stable finding key.  One row per (report, finding): a contest rejected by the
    reviewer may be raised again with a new reason; an accepted one stays, so `workflow findings
    --contested` can show which rules are wrong on real reports."""

    __tablename__ = "finding_contests"
    __table_args__ = (UniqueConstraint("report_id", "finding_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = _fk("reports.id")
    finding_key: Mapped[str] = mapped_column(String(200))
    rule_id: Mapped[str] = mapped_column(String(20), index=True)
    finding: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the finding as the clerk saw it
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open|accepted|rejected
    by_id: Mapped[int | None] = _fk("users.id", nullable=True)
    at: Mapped[datetime] = mapped_column(default=now)
    decided_by_id: Mapped[int | None] = _fk("users.id", nullable=True)
    decided_at: Mapped[datetime | None]
    decision_comment: Mapped[str] = mapped_column(Text, default="")


class ReviewDecision(Base):
    __tablename__ = "review_decisions"
    __table_args__ = (UniqueConstraint("version_id", "stage"),)  # second guard against double decisions
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = _fk("reports.id")
    version_id: Mapped[int] = _fk("report_versions.id")
    stage: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(20))  # approve | return
    reason_codes: Mapped[list[Any]] = mapped_column(default=list)
    reviewer_id: Mapped[int | None] = _fk("users.id", nullable=True)
    at: Mapped[datetime] = mapped_column(default=now)


class ReviewComment(Base):
    __tablename__ = "review_comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = _fk("reports.id")
    version_id: Mapped[int] = _fk("report_versions.id")
    section: Mapped[int | None] = mapped_column(Integer)  # 1–6, None for the whole report
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = _fk("users.id", nullable=True)
    at: Mapped[datetime] = mapped_column(default=now)
    # A comment on one table cell names it (table id, row key, column key); `section` is then the
    # table's section.  A reviewer marks a comment resolved once a later version answers it.
    table_id: Mapped[str | None] = mapped_column(String(20))
    row_key: Mapped[str | None] = mapped_column(String(60))
    column_key: Mapped[str | None] = mapped_column(String(60))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = _fk("users.id", nullable=True)


class Publication(Base):
    __tablename__ = "publications"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = _fk("reports.id")
    version_id: Mapped[int] = mapped_column(ForeignKey("report_versions.id"), unique=True)
    published_at: Mapped[datetime]
    first_published_at: Mapped[datetime]
    correction_note: Mapped[str | None] = mapped_column(Text)
    # {name: {path, sha256, size, media_type}}
    artifacts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReminderSent(Base):
    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("season_id", "body_id", "reminder", "step", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    season_id: Mapped[int] = _fk("seasons.id")
    body_id: Mapped[int] = _fk("bodies.id")
    reminder: Mapped[str] = mapped_column(String(60))
    step: Mapped[str] = mapped_column(String(60))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)
    sent_at: Mapped[datetime | None]
    # Added by migration 0002_reminder_delivery (reminders): when the row may next be tried (a claim
    # pushes it forward as a lease; a failure pushes it by the backoff), and what to say (reason, template).
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Notification(Base):
    """In-app message for a user or for everyone of a body."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = _fk("users.id", nullable=True)
    body_id: Mapped[int | None] = _fk("bodies.id", nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    read_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Who did what, when, from which address and client.  Append-only: made only by
    workflow.services.audit; the ORM refuses to change or delete one (below), PostgreSQL too (a
    trigger, migration 0003_audit_trail)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=now, index=True)
    actor_id: Mapped[int | None] = _fk("users.id", nullable=True)  # None: the system (worker, sweeper)
    action: Mapped[str] = mapped_column(String(60))
    report_id: Mapped[int | None] = _fk("reports.id", nullable=True)
    body_id: Mapped[int | None] = _fk("bodies.id", nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Added by 0003_audit_trail: the request's client address (None outside a web request) and its
    # user agent (truncated), or "worker" / "cli" / "system".
    address: Mapped[str | None] = mapped_column(String(64))
    client: Mapped[str | None] = mapped_column(String(200))


class ImmutableRowError(Exception):
    pass


@event.listens_for(Session, "before_flush")
def _versions_are_immutable(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, ReportVersion) and (obj in session.deleted or session.is_modified(obj)):
            raise ImmutableRowError(f"report version {obj.id} is immutable once submitted")


@event.listens_for(Session, "before_flush")
def _audit_is_append_only(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, AuditEvent):
            raise ImmutableRowError(f"audit event {obj.id} cannot be deleted: the audit trail is append-only")
    for obj in session.dirty:
        if isinstance(obj, AuditEvent) and session.is_modified(obj):
            raise ImmutableRowError(f"audit event {obj.id} cannot be changed: the audit trail is append-only")


@event.listens_for(Session, "do_orm_execute")
def _no_bulk_audit_changes(state: Any) -> None:
    """`session.execute(update(AuditEvent)…)` / `delete(AuditEvent)` are refused as well."""
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is AuditEvent:
        raise ImmutableRowError("the audit trail is append-only: no UPDATE or DELETE of audit events")


class WebSession(Base):
    """A signed-in browser (issue #13): the cookie holds a random id, this row only its SHA-256.

    Ending a session deletes its row (logout, password or role change, a disabled user, "sign out
    everywhere"); idle and absolute expiry are judged from `last_seen_at` and `created_at`."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = _fk("users.id", ondelete="CASCADE")
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_seen_at: Mapped[datetime] = mapped_column(default=now)
    address: Mapped[str] = mapped_column(String(64), default="")
    client: Mapped[str] = mapped_column(String(300), default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"csrf": …}


class ApiToken(Base):
    """A personal API token (issue #13): only its SHA-256 is stored; it acts as its user, and only while
    the user keeps the role, body and jurisdiction it was made with."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _fk("users.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(
        String(16), default=""
    )  # the token's first characters, to tell it apart
    role: Mapped[str] = mapped_column(String(20))
    body_id: Mapped[int | None] = mapped_column(Integer)
    jurisdiction_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(Integer)
    last_used_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed sign-ins counted per key, shared by every web process (workflow.services.throttle).

    Keys: ``addr:<address>`` (every name tried from one address), ``pair:<name>|<address>`` (one account
    from one address; ``last_success_at`` marks an address that has signed in to it) and
    ``name:<name>`` (one account from everywhere: only a short wait, skipped by known addresses).
    Names are the typed ones, known or not, so a throttle never tells who exists."""

    __tablename__ = "login_throttles"
    key: Mapped[str] = mapped_column(String(240), primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # addr | pair | name
    username: Mapped[str | None] = mapped_column(String(80))
    address: Mapped[str | None] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_allowed_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None] = mapped_column(index=True)
    last_success_at: Mapped[datetime | None]
