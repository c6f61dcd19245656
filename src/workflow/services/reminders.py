"""Reminders: a periodic scan of the database decides what is due, then sends each reminder once.

1. `enqueue_due` (set-based): bulk-read bodies, their report state and extensions for the active seasons,
   compute the due reminders with the pure policy, and INSERT one reminders_sent row per (season, body,
   reminder, step, channel) with ON CONFLICT DO NOTHING.  The unique key is the lock: two scanners at
   once insert each row once.  No queue message is scheduled for later; tomorrow's scan recomputes.
2. `deliver_queued`: claim a queued row by a conditional UPDATE (attempts, next_attempt_at as a lease),
   re-check that the reminder still applies, send it, mark it sent.  A worker that dies mid-send leaves
   the row queued and the lease expires: the next scan retries it.  A delivery error pushes
   next_attempt_at by an exponential backoff; after `max_attempts` the row is marked failed and listed
   for the administrator (`failed_reminders`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from workflow.clock import get_clock
from workflow.db.models import (
    Body,
    Extension,
    Notification,
    ReminderSent,
    ReportRow,
    Season,
    SeasonDeadline,
    User,
)
from workflow.db.session import begin_write, writing
from workflow.domain.bodies import BodyType
from workflow.domain.calendar import CalendarWarning, WorkCalendar, describe_day, years_spanned
from workflow.domain.deadlines import BodyDeadline, DeadlineRule, SeasonCalendar
from workflow.domain.deadlines import Extension as DomainExtension
from workflow.domain.reminder_names import channel_name, name_reminder
from workflow.domain.reminders import (
    AUDIENCE_LABELS,
    Audience,
    BodySituation,
    Channel,
    DueReminder,
    ReminderPolicy,
    Standing,
    due_reminders,
    policy_from_mapping,
)
from workflow.domain.states import ReportState
from workflow.notify.compose import compose
from workflow.notify.mailer import Mailer, mailer_from_settings
from workflow.notify.message import DeliveryError, Message
from workflow.notify.webhooks import HttpWebhookSender, WebhookSender

QUEUED, SENT, FAILED, SKIPPED = "queued", "sent", "failed", "skipped"
LEASE = timedelta(minutes=10)  # a claimed row not marked within this is retried (worker died)
_STANDING = {
    ReportState.DRAFT: Standing.TODO,
    ReportState.NEEDS_FIXES: Standing.TODO,
    ReportState.RETURNED: Standing.RETURNED,
    ReportState.SUBMITTED: Standing.IN_REVIEW,
    ReportState.CHECKING: Standing.IN_REVIEW,
    ReportState.IN_REVIEW: Standing.IN_REVIEW,
    ReportState.APPROVED: Standing.DONE,
    ReportState.PUBLISHED: Standing.DONE,
}
# Which standings a series is meant for: re-checked right before sending.
_SERIES_STANDINGS = {
    "deadline": {Standing.TODO, Standing.RETURNED},
    "internal": {Standing.TODO, Standing.RETURNED},
    "overdue_escalation": {Standing.TODO, Standing.RETURNED},
    "returned_idle": {Standing.RETURNED},
    "review_waiting": {Standing.IN_REVIEW},
}


@dataclass
class Channels:
    """The side effects, picked by configuration (or by a test)."""

    mailer: Mailer
    webhooks: WebhookSender
    office_email: str = ""
    office_name: str = "区政务公开办"
    base_url: str = "http://127.0.0.1:8000"
    max_attempts: int = 10

    @classmethod
    def from_settings(cls) -> Channels:
        from workflow.settings import get_settings

        s = get_settings()
        return cls(
            mailer_from_settings(),
            HttpWebhookSender(),
            office_email=s.office_email,
            office_name=s.office_name,
            base_url=s.base_url,
            max_attempts=s.reminder_max_attempts,
        )


class Planned(NamedTuple):
    """One row the scan would insert: a due reminder on one channel, and to whom it goes."""

    season_id: int
    report_year: int
    body_id: int
    body_name: str
    due: DueReminder
    channel: Channel
    recipient: str

    def row_payload(self) -> dict[str, Any]:
        d = self.due
        return {
            "series": d.series,
            "audience": d.audience.value,
            "template": d.template,
            "reason": d.reason,
            "due": d.due.isoformat(),
            "anchor": d.anchor.isoformat(),
            "scheduled_on": d.scheduled_on.isoformat(),
            "report_year": self.report_year,
        }


@dataclass
class ScanResult:
    as_of: date
    enqueued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    warnings: list[CalendarWarning] = field(default_factory=list)


def policy_from_settings() -> ReminderPolicy:
    from workflow.settings import get_settings

    return policy_from_mapping(get_settings().reminder_policy)


def default_calendar() -> WorkCalendar:
    from workflow.holidays import load_calendar

    return load_calendar()


def today(now: datetime | None = None) -> date:
    return (now or get_clock().now()).date()  # the clock is in the district's time zone


# --- planning ------------------------------------------------------------------------------------------


def active_seasons(session: Session, as_of: date) -> list[Season]:
    """Seasons whose reminders can fall on `as_of`: the report year just ended, and the current one."""
    years = (as_of.year - 1, as_of.year)
    return list(
        session.scalars(select(Season).where(Season.report_year.in_(years)).order_by(Season.report_year))
    )


def season_calendar(session: Session, season: Season) -> SeasonCalendar:
    rows = session.execute(
        select(SeasonDeadline.body_type, SeasonDeadline.locality, SeasonDeadline.due_date).where(
            SeasonDeadline.season_id == season.id
        )
    ).all()
    rules = tuple(DeadlineRule(due, BodyType(bt) if bt else None, loc) for bt, loc, due in rows)
    return SeasonCalendar(season.report_year, rules, internal_due=season.internal_review_date)


def plan(
    session: Session,
    *,
    as_of: date,
    calendar: WorkCalendar | None = None,
    policy: ReminderPolicy | None = None,
    office_email: str = "",
) -> list[Planned]:
    """Everything due on `as_of`, per channel, with recipients: bulk reads, no per-body queries."""
    return list(iter_plan(session, as_of=as_of, calendar=calendar, policy=policy, office_email=office_email))


def iter_plan(
    session: Session,
    *,
    as_of: date,
    calendar: WorkCalendar | None = None,
    policy: ReminderPolicy | None = None,
    office_email: str = "",
) -> Iterator[Planned]:
    """Like `plan`, streamed: the scan inserts in chunks without holding every row in memory."""
    cal = calendar or default_calendar()
    pol = policy or policy_from_settings()
    for season in active_seasons(session, as_of):
        yield from _plan_season(session, season, as_of, cal, pol, office_email)


def _plan_season(
    session: Session, season: Season, as_of: date, cal: WorkCalendar, pol: ReminderPolicy, office_email: str
) -> Iterator[Planned]:
    sc = season_calendar(session, season)
    extensions = _extensions(session, season.id)
    rows = session.execute(
        select(
            Body.id,
            Body.name,
            Body.body_type,
            Body.locality,
            Body.contact_email,
            Body.head_email,
            Body.webhook_url,
            ReportRow.state,
            ReportRow.state_changed_at,
            ReportRow.is_correction,
        ).outerjoin(ReportRow, and_(ReportRow.body_id == Body.id, ReportRow.season_id == season.id))
    ).all()
    # Most bodies share a deadline and a standing: compute each combination's reminders once.
    memo: dict[tuple[Any, ...], list[tuple[DueReminder, Channel]]] = {}
    base: dict[tuple[str, str | None], BodyDeadline] = {}
    sid, year, tz = season.id, season.report_year, get_clock().now().tzinfo
    for bid, name, btype, locality, email, head, hook, state, changed, correction in rows:
        standing, since = _situation_of(state, changed, correction, tz)
        if standing is Standing.DONE:
            continue
        if bid in extensions:
            deadline = sc.deadline_for(btype, locality, extensions[bid])
        elif (btype, locality) in base:
            deadline = base[(btype, locality)]
        else:
            deadline = base[(btype, locality)] = sc.deadline_for(btype, locality)
        key = (deadline, standing, since)
        todo = memo.get(key)
        if todo is None:
            due = due_reminders(as_of, BodySituation(deadline, standing, since), cal, pol)
            todo = memo[key] = [(d, c) for d in due for c in pol.channels_for(d.audience)]
        for due_reminder, channel in todo:
            recipient = _recipient(channel, due_reminder.audience, email, head, office_email, hook)
            if recipient:
                yield Planned(sid, year, bid, name, due_reminder, channel, recipient)


def _situation_of(
    state: str | None, changed: datetime | None, correction: bool | None, tz: Any = None
) -> tuple[Standing, date | None]:
    if state is None:
        return Standing.TODO, None
    if correction:  # a correction after publication: the deadline was met by the first publication
        return Standing.DONE, None
    standing = _STANDING.get(ReportState(state), Standing.TODO)
    if changed is None or standing not in (Standing.RETURNED, Standing.IN_REVIEW):
        return standing, None
    return standing, changed.astimezone(tz or get_clock().now().tzinfo).date()


_IN_APP_LABELS = {a: f"站内通知（{label}）" for a, label in AUDIENCE_LABELS.items()}


def _recipient(
    channel: Channel, audience: Audience, email: str, head: str, office: str, hook: str | None
) -> str:
    """Who the row goes to, for the preview; '' when the channel has nobody to reach (no row then)."""
    if channel is Channel.IN_APP:
        return _IN_APP_LABELS[audience]
    if channel is Channel.WEBHOOK:
        return (hook or "") if audience is Audience.BODY else ""
    if audience is Audience.BODY:
        return email or ""
    if audience is Audience.HEAD:
        return head or ""
    if audience is Audience.OFFICE:
        return office
    return "审核人员邮箱"


def _extensions(session: Session, season_id: int) -> dict[int, list[DomainExtension]]:
    out: dict[int, list[DomainExtension]] = defaultdict(list)
    q = select(Extension.body_id, Extension.new_due_date, Extension.reason, Extension.granted_at).where(
        Extension.season_id == season_id
    )
    for bid, new_due, reason, at in session.execute(q):
        out[bid].append(DomainExtension(new_due, reason, granted_at=at))
    return out


def calendar_warnings(
    session: Session, *, as_of: date, calendar: WorkCalendar | None = None
) -> list[CalendarWarning]:
    """Holiday-table warnings for the years the active seasons' reminders touch."""
    cal = calendar or default_calendar()
    years: set[int] = set()
    for season in active_seasons(session, as_of):
        years.update(years_spanned(date(season.report_year, 11, 1), date(season.report_year + 1, 6, 30)))
    return cal.warnings(years)


# --- enqueue (set-based) -------------------------------------------------------------------------------


def enqueue_due(
    session: Session,
    *,
    now: datetime,
    calendar: WorkCalendar | None = None,
    policy: ReminderPolicy | None = None,
    office_email: str = "",
) -> int:
    """Insert the send-once rows for everything due today; returns how many were new.  Commits.

    Set-based: rows already enqueued for today's steps are read in one query and left out; the rest go
    in with one bulk statement (COPY into a temporary table on PostgreSQL, executemany on SQLite), both
    ending in ON CONFLICT DO NOTHING so that a concurrent scan inserting the same rows is harmless.
    """
    planned = iter_plan(
        session, as_of=today(now), calendar=calendar, policy=policy, office_email=office_email
    )
    by_season: dict[int, list[Planned]] = defaultdict(list)
    for p in planned:
        by_season[p.season_id].append(p)
    inserted = 0
    begin_write(session)
    for season_id, rows in by_season.items():
        fresh = _not_yet_enqueued(session, season_id, rows)
        inserted += insert_rows(session, fresh, now)
    session.commit()
    return inserted


def _not_yet_enqueued(session: Session, season_id: int, rows: list[Planned]) -> list[Planned]:
    reminders = sorted({p.due.reminder for p in rows})
    steps = sorted({str(p.due.step) for p in rows})
    q = select(ReminderSent.body_id, ReminderSent.reminder, ReminderSent.step, ReminderSent.channel).where(
        ReminderSent.season_id == season_id,
        ReminderSent.reminder.in_(reminders),
        ReminderSent.step.in_(steps),
    )
    existing = set(session.execute(q).tuples())
    return [p for p in rows if (p.body_id, p.due.reminder, str(p.due.step), p.channel.value) not in existing]


_COLUMNS = (
    "season_id, body_id, reminder, step, channel, status, attempts, created_at, next_attempt_at, payload"
)
_CONFLICT = "ON CONFLICT (season_id, body_id, reminder, step, channel) DO NOTHING"


def insert_rows(session: Session, rows: Sequence[Planned], now: datetime) -> int:
    """Bulk insert with the driver directly (ORM/Core per-row overhead is 10x at 500,000 rows)."""
    if not rows:
        return 0
    payloads: dict[tuple[int, DueReminder], str] = {}
    raw = session.connection().connection.driver_connection
    if session.get_bind().dialect.name == "postgresql":
        return _copy_insert(raw, rows, now, payloads)
    stamp = now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # how TZDateTime stores it on SQLite
    values = [(*_key(p), QUEUED, 0, stamp, stamp, _payload(p, payloads)) for p in rows]
    cur = raw.cursor()  # type: ignore[union-attr]
    cur.executemany(
        f"INSERT INTO reminders_sent ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?) {_CONFLICT}", values
    )
    return int(cur.rowcount)


def _copy_insert(raw: Any, rows: Sequence[Planned], now: datetime, payloads: dict[Any, str]) -> int:
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS reminders_incoming (LIKE reminders_sent INCLUDING DEFAULTS) "
            "ON COMMIT DELETE ROWS"
        )
        cur.execute("DELETE FROM reminders_incoming")
        stamp = now.isoformat()
        with cur.copy(f"COPY reminders_incoming ({_COLUMNS}) FROM STDIN") as copy:
            # COPY text format written by hand: write_row's per-value adaptation is the slow part.
            # Keys and stamps hold no tab, newline or backslash; JSON escapes control characters.
            for i in range(0, len(rows), 10_000):
                copy.write(
                    "".join(
                        f"{p.season_id}\t{p.body_id}\t{p.due.reminder}\t{p.due.step}\t{p.channel.value}\t"
                        f"{QUEUED}\t0\t{stamp}\t{stamp}\t{_payload(p, payloads, copy_text=True)}\n"
                        for p in rows[i : i + 10_000]
                    )
                )
        cur.execute(
            f"INSERT INTO reminders_sent ({_COLUMNS}) SELECT {_COLUMNS} FROM reminders_incoming {_CONFLICT}"
        )
        return int(cur.rowcount)


def _key(p: Planned) -> tuple[int, int, str, str, str]:
    return (p.season_id, p.body_id, p.due.reminder, str(p.due.step), p.channel.value)


def _payload(p: Planned, cache: dict[tuple[int, DueReminder], str], copy_text: bool = False) -> str:
    """The payload JSON, serialised once per distinct reminder (most bodies share theirs)."""
    key = (p.report_year, p.due)
    if key not in cache:
        text = json.dumps(p.row_payload(), ensure_ascii=False)
        cache[key] = text.replace("\\", "\\\\") if copy_text else text  # COPY text format escapes \
    return cache[key]


# --- delivery -------------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 … minutes after the n-th failed attempt, at most two hours."""
    return timedelta(minutes=min(2**attempts, 120))


def deliver_queued(
    factory: sessionmaker[Session], *, now: datetime, channels: Channels, limit: int = 500
) -> ScanResult:
    """Send the queued rows whose next attempt time has come; each claimed by a conditional UPDATE."""
    result = ScanResult(as_of=today(now))
    with factory() as s:
        candidates = s.execute(
            select(ReminderSent.id, ReminderSent.attempts)
            .where(
                ReminderSent.status == QUEUED,
                or_(ReminderSent.next_attempt_at.is_(None), ReminderSent.next_attempt_at <= now),
            )
            .order_by(ReminderSent.id)
            .limit(limit)
        ).all()
    for row_id in _claim(factory, candidates, now):
        outcome = _deliver_one(factory, row_id, now, channels)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result


def _claim(factory: sessionmaker[Session], candidates: Sequence[Any], now: datetime) -> list[int]:
    """Take the lease on each row still queued and untouched since we read it (one transaction)."""
    claimed: list[int] = []
    with writing(factory) as s:
        for row_id, attempts in candidates:
            res = s.execute(
                update(ReminderSent)
                .where(
                    ReminderSent.id == row_id,
                    ReminderSent.status == QUEUED,
                    ReminderSent.attempts == attempts,
                    or_(ReminderSent.next_attempt_at.is_(None), ReminderSent.next_attempt_at <= now),
                )
                .values(attempts=attempts + 1, next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(row_id)
    return claimed


def _deliver_one(factory: sessionmaker[Session], row_id: int, now: datetime, channels: Channels) -> str:
    """Deliver one claimed row.  The message goes out with no transaction open (an SMTP server or a
    robot may take seconds; the claim's lease keeps other scans off the row), then the outcome is
    written in one short write transaction."""
    notifications: list[Notification] = []
    error: str | None = None
    with factory() as s:
        row = s.get(ReminderSent, row_id)
        assert row is not None
        body = s.get(Body, row.body_id)
        assert body is not None
        applies = _still_applies(s, row)
        try:
            if applies:
                message = compose(row, body, channels)
                notifications, send = _prepare(s, row, body, message, channels)
        except DeliveryError as exc:
            error = str(exc)[:2000]
    if applies and error is None:
        try:
            send()
        except DeliveryError as exc:
            error = str(exc)[:2000]
    with writing(factory) as s:
        row = s.get(ReminderSent, row_id, populate_existing=True)
        assert row is not None
        if not applies:
            row.status, row.last_error = SKIPPED, "报告状态已变化，提醒不再适用"
            return "skipped"
        if error is not None:
            row.last_error = error
            if row.attempts >= channels.max_attempts:
                row.status = FAILED
                return "failed"
            row.next_attempt_at = now + backoff(row.attempts)
            return "retried"
        s.add_all(notifications)
        row.status, row.sent_at, row.last_error = SENT, now, None
        return "sent"


def _still_applies(s: Session, row: ReminderSent) -> bool:
    state, changed, correction = s.execute(
        select(ReportRow.state, ReportRow.state_changed_at, ReportRow.is_correction).where(
            ReportRow.body_id == row.body_id, ReportRow.season_id == row.season_id
        )
    ).first() or (None, None, None)
    standing, _ = _situation_of(state, changed, correction)
    return standing in _SERIES_STANDINGS.get(str(row.payload.get("series")), set())


def _nothing() -> None:
    return None


def _prepare(
    s: Session, row: ReminderSent, body: Body, message: Message, channels: Channels
) -> tuple[list[Notification], Callable[[], None]]:
    """What delivering `row` writes (in-app notifications) and sends (a call to make outside any
    transaction); raises DeliveryError when it cannot be delivered at all."""
    audience = Audience(row.payload["audience"])
    channel = Channel(row.channel)
    if channel is Channel.IN_APP:
        notes = [
            Notification(user_id=user_id, body_id=None, title=message.subject[:200], body=message.text)
            for user_id in _in_app_users(s, audience, body)
        ]
        if audience is Audience.BODY:
            notes.append(
                Notification(user_id=None, body_id=body.id, title=message.subject[:200], body=message.text)
            )
        return notes, _nothing
    if channel is Channel.WEBHOOK:
        if not body.webhook_url:
            raise DeliveryError("该单位未配置群机器人地址")
        url, secret = body.webhook_url, body.webhook_secret
        return [], lambda: channels.webhooks.send(url, secret, message.subject, message.text)
    to = _email_to(s, audience, body, channels)
    if not to:
        raise DeliveryError(f"{AUDIENCE_LABELS[audience]}没有邮箱地址")
    mail = Message(message.subject, message.text, message.html, to, message.message_id, message.headers)
    return [], lambda: channels.mailer.send(mail)


def _in_app_users(s: Session, audience: Audience, body: Body) -> list[int]:
    if audience is Audience.OFFICE:
        return list(s.scalars(select(User.id).where(User.role == "admin", User.is_active.is_(True))))
    if audience is Audience.REVIEWERS:
        return list(s.scalars(_reviewers(body).with_only_columns(User.id)))
    return []


def _reviewers(body: Body) -> Any:
    return select(User).where(
        User.role == "reviewer",
        User.is_active.is_(True),
        or_(User.jurisdiction_id.is_(None), User.jurisdiction_id == body.jurisdiction_id),
    )


def _email_to(s: Session, audience: Audience, body: Body, channels: Channels) -> tuple[str, ...]:
    if audience is Audience.BODY:
        return (body.contact_email,) if body.contact_email else ()
    if audience is Audience.HEAD:
        return (body.head_email,) if body.head_email else ()
    if audience is Audience.OFFICE:
        return (channels.office_email,) if channels.office_email else ()
    return tuple(e for e in s.scalars(_reviewers(body).with_only_columns(User.email)) if e)


# --- the scan and what the administrator sees ------------------------------------------------------------


def scan(
    factory: sessionmaker[Session],
    *,
    now: datetime | None = None,
    channels: Channels | None = None,
    calendar: WorkCalendar | None = None,
    policy: ReminderPolicy | None = None,
) -> ScanResult:
    """One periodic pass: enqueue what is due today, then deliver what is queued."""
    at = now or get_clock().now()
    ch = channels or Channels.from_settings()
    cal = calendar or default_calendar()
    with factory() as s:
        enqueued = enqueue_due(s, now=at, calendar=cal, policy=policy, office_email=ch.office_email)
        warnings = calendar_warnings(s, as_of=today(at), calendar=cal)
    result = deliver_queued(factory, now=at, channels=ch)
    result.enqueued, result.warnings = enqueued, warnings
    return result


def failed_reminders(session: Session, *, season_id: int | None = None) -> list[ReminderSent]:
    """Reminders given up on after all retries: the administrator's list."""
    q = select(ReminderSent).where(ReminderSent.status == FAILED).order_by(ReminderSent.id)
    if season_id is not None:
        q = q.where(ReminderSent.season_id == season_id)
    return list(session.scalars(q))


def describe_plan(planned: Iterable[Planned]) -> list[str]:
    """Preview lines: what would go to whom and why (the CLI and the admin page)."""
    lines = []
    for p in sorted(planned, key=lambda p: (p.body_name, p.due.reminder, p.channel.value)):
        d = p.due
        lines.append(
            f"{p.body_name}｜{AUDIENCE_LABELS[d.audience]}｜{channel_name(p.channel.value)}｜{p.recipient}｜"
            f"{name_reminder(d.reminder, d.step)}（计划于{describe_day(d.scheduled_on)}）｜{d.reason}"
        )
    return lines


def engine_of(factory: sessionmaker[Session]) -> Engine:
    bind = factory.kw["bind"]
    assert isinstance(bind, Engine)
    return bind
