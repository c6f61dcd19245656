"""A whole reminder season, day by day, against a real SMTP server and a real webhook receiver on loopback.

The scan is driven in-process with a settable clock (1 December 2026 to 10 February 2027), two scanners
at once every day; the database is the `db` fixture (PostgreSQL in CI, SQLite otherwise).
"""

from __future__ import annotations

import base64
import email
import hashlib
import hmac
import json
import socket
import threading
import urllib.parse
from collections import Counter
from datetime import date, datetime, timedelta
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import FixedClock
from workflow.db.factories import make_body, make_jurisdiction, make_season, make_user
from workflow.db.models import Extension, Notification, ReminderSent, ReportRow
from workflow.domain.calendar import WorkCalendar
from workflow.domain.reminders import ReminderPolicy
from workflow.holidays import load_calendar, save_year, year_from_mapping
from workflow.notify.mailer import SmtpMailer
from workflow.notify.webhooks import HttpWebhookSender
from workflow.services import reminders as svc
from workflow.services.accounts import cached_hash

pytestmark = pytest.mark.integration
TZ_NOW = FixedClock(datetime(2026, 12, 1, 9, 0)).now().tzinfo
DING_SECRET = "SECtest-secret"
TABLE_2027 = {
    "status": "confirmed",
    "holidays": [
        {"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"},
        {"name": "春节", "start": "2027-02-05", "end": "2027-02-13"},
    ],
    "workdays": [{"name": "春节", "date": "2027-02-20"}],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """aiosmtpd on loopback; remembers each message with the simulated time it arrived."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock, self.port = clock, _free_port()
        self.received: list[tuple[datetime, EmailMessage]] = []
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((self.clock.now(), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def keys(self) -> list[str]:
        return [str(m["X-Workflow-Reminder"]) for _, m in self.received]


class WebhookSink:
    """http.server on loopback answering like WeCom / DingTalk; checks DingTalk's signature."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.posts: list[tuple[datetime, str, dict[str, Any]]] = []
        self.bad_signatures = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                data = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                parsed = urllib.parse.urlparse(self.path)
                q = urllib.parse.parse_qs(parsed.query)
                if "access_token" in q and not _signature_ok(q):
                    sink.bad_signatures += 1
                sink.posts.append((sink.clock.now(), parsed.path, data))
                out = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _signature_ok(q: dict[str, list[str]]) -> bool:
    ts = q["timestamp"][0]
    digest = hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
    return q["sign"][0] == base64.b64encode(digest).decode()


@pytest.fixture
def season_clock() -> Any:
    from workflow.clock import set_clock

    c = FixedClock(datetime(2026, 12, 1, 9, 0))
    set_clock(c)
    yield c
    set_clock(None)


@pytest.fixture
def smtp(season_clock: FixedClock) -> Any:
    sink = SmtpSink(season_clock)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def hooks(season_clock: FixedClock) -> Any:
    sink = WebhookSink(season_clock)
    yield sink
    sink.close()


def _channels(smtp: SmtpSink) -> svc.Channels:
    return svc.Channels(
        SmtpMailer("127.0.0.1", smtp.port, "政务公开办 <gongkai@example.gov.cn>", timeout=5),
        HttpWebhookSender(timeout=5),
        office_email="office@example.gov.cn",
        base_url="http://127.0.0.1:8000",
    )


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ_NOW)


def _seed(session: Session, hooks: WebhookSink) -> dict[str, list[int]]:
    """50 bodies in varied states; returns body ids by group."""
    j = make_jurisdiction(session)
    season = make_season(session, 2026)
    pw = cached_hash("demo1234")
    make_user(session, "office-admin", role="admin", email="admin@example.gov.cn", password_hash=pw)
    make_user(
        session,
        "reviewer1",
        role="reviewer",
        jurisdiction=j,
        email="reviewer@example.gov.cn",
        password_hash=pw,
    )
    groups: dict[str, list[int]] = {
        k: [] for k in ("nothing", "draft", "returned", "review", "done", "extended")
    }
    plan = (
        ["nothing"] * 20 + ["draft"] * 6 + ["returned"] * 6 + ["review"] * 6 + ["done"] * 6 + ["extended"] * 6
    )
    for i, group in enumerate(plan):
        hook = None
        if i % 3 == 0:
            hook = f"{hooks.base}/cgi-bin/webhook/send?key=k{i}"
        elif i % 3 == 1:
            hook = f"{hooks.base}/robot/send?access_token=t{i}"
        body = make_body(
            session,
            f"测试{i}镇人民政府",
            contact_email=f"body{i}@example.gov.cn",
            head_email=f"head{i}@example.gov.cn",
            webhook_url=hook,
            webhook_secret=DING_SECRET if hook and "access_token" in hook else None,
        )
        groups[group].append(body.id)
        state = {"draft": "draft", "returned": "returned", "review": "in_review", "done": "published"}.get(
            group
        )
        changed = {"returned": date(2027, 1, 5), "review": date(2027, 1, 12)}.get(group, date(2026, 11, 20))
        if state:
            session.add(
                ReportRow(body_id=body.id, season_id=season.id, state=state, state_changed_at=_at(changed))
            )
        if group == "extended":
            session.add(
                Extension(
                    season_id=season.id, body_id=body.id, new_due_date=date(2027, 2, 26), reason="机构改革",
                    granted_at=_at(date(2026, 12, 15)),
                )
            )  # fmt: skip
    session.commit()
    return groups


def _scan_twice_at_once(factory: Any, now: datetime, channels: svc.Channels, cal: WorkCalendar) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            svc.scan(factory, now=now, channels=channels, calendar=cal, policy=ReminderPolicy())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.slow
def test_a_whole_season_every_reminder_once(
    db: Any, season_clock: FixedClock, smtp: SmtpSink, hooks: WebhookSink
) -> None:
    with db.sessions() as s:
        groups = _seed(s, hooks)
    cal = load_calendar()
    channels = _channels(smtp)
    outage_day = date(2027, 1, 27)  # step -3 for most bodies: the mail server is down 09:00–10:00
    day = date(2026, 12, 1)
    while day <= date(2027, 2, 10):
        if day == outage_day:
            smtp.stop()
        for minutes in range(0, 181, 10) if day == outage_day else (0,):
            now = _at(day) + timedelta(minutes=minutes)
            season_clock.set(now)
            if day == outage_day and minutes == 60:
                smtp.start()
            _scan_twice_at_once(db.sessions, now, channels, cal)
        day += timedelta(days=1)

    with db.sessions() as s:
        rows = list(s.scalars(select(ReminderSent)))
    by_status = Counter(r.status for r in rows)
    assert by_status["failed"] == 0 and by_status["queued"] == 0, by_status

    # Every e-mail row arrived exactly once, and nothing arrived that has no row.
    keys = smtp.keys()
    assert len(keys) == len(set(keys)), [k for k, n in Counter(keys).items() if n > 1]
    sent_email = {f"{r.season_id}/{r.body_id}/{r.reminder}/{r.step}/{r.channel}" for r in rows
                  if r.channel == "email" and r.status == "sent"}  # fmt: skip
    assert set(keys) == sent_email
    # … and is exactly what the day-by-day preview promised (the states do not change in this test).
    expected: set[str] = set()
    with db.sessions() as s:
        day = date(2026, 12, 1)
        while day <= date(2027, 2, 10):
            for p in svc.plan(
                s, as_of=day, calendar=cal, policy=ReminderPolicy(), office_email="office@example.gov.cn"
            ):
                if p.channel.value == "email":
                    expected.add(f"{p.season_id}/{p.body_id}/{p.due.reminder}/{p.due.step}/email")
            day += timedelta(days=1)
    assert set(keys) == expected
    assert len(hooks.posts) == sum(1 for r in rows if r.channel == "webhook" and r.status == "sent")
    assert hooks.bad_signatures == 0

    # None on weekends or public holidays.
    assert all(cal.is_workday(at.date()) for at, _ in smtp.received)
    assert all(cal.is_workday(at.date()) for at, _, _ in hooks.posts)

    # None to bodies already done; a body in review only reaches its reviewers.
    done = set(groups["done"])
    assert not [r for r in rows if r.body_id in done]
    review_rows = [r for r in rows if r.body_id in groups["review"]]
    assert review_rows and all(r.reminder.startswith("review_waiting.reviewers") for r in review_rows)

    # What a body that never started receives by e-mail, day by day (deadline 31 Jan, internal 15 Jan).
    got = sorted(
        (at.date(), key.split("/")[2].split(".")[0], int(key.split("/")[3]))
        for at, m in smtp.received
        if m["To"] == "body0@example.gov.cn"
        for key in [str(m["X-Workflow-Reminder"])]
    )
    assert got == [
        (date(2026, 12, 21), "deadline", -30),
        (date(2027, 1, 12), "deadline", -14),
        (date(2027, 1, 12), "internal", -3),
        (date(2027, 1, 14), "internal", -1),
        (date(2027, 1, 15), "internal", 0),
        (date(2027, 1, 21), "deadline", -7),
        (date(2027, 1, 27), "deadline", -3),
        (date(2027, 1, 29), "deadline", -1),
        (date(2027, 2, 1), "deadline", 1),
        (date(2027, 2, 4), "deadline", 2),
        (date(2027, 2, 9), "deadline", 3),
    ]
    first = groups["nothing"][0]

    # The outage: the day's mail came after the server was back, once.
    outage_mail = [at for at, _ in smtp.received if at.date() == outage_day]
    assert outage_mail and min(outage_mail) >= _at(outage_day, 10)

    # Extended bodies were never told they were overdue for 31 January.
    ext = set(groups["extended"])
    assert not [r for r in rows if r.body_id in ext and "@2027-01-31" in r.reminder]
    assert db.count("notifications") > 0
    with db.sessions() as s:
        assert s.scalar(select(Notification).where(Notification.body_id == first)) is not None


def test_2027_without_holiday_data_still_reminds_and_warns_then_a_table_moves_the_dates(
    db: Any, season_clock: FixedClock, smtp: SmtpSink, tmp_path: Path
) -> None:
    with db.sessions() as s:
        make_jurisdiction(s)
        make_season(s, 2026)
        body = make_body(s, "测试镇人民政府", contact_email="late@example.gov.cn")
        s.commit()
    channels = _channels(smtp)
    no_data = load_calendar()

    # No 2027 data: weekends only.  9 Feb 2027 is an ordinary Tuesday, the 3rd overdue step is sent.
    result = svc.scan(db.sessions, now=_at(date(2027, 2, 9)), channels=channels, calendar=no_data)
    assert [w.year for w in result.warnings if w.kind == "missing"] == [2027]
    assert result.sent >= 1
    assert any(m["X-Workflow-Reminder"].endswith("@2027-01-31/3/email") for _, m in smtp.received)

    # The administrator adds the 2027 table: 春节 5–13 Feb.  The same body in a fresh season sees
    # nothing on 9 Feb (a holiday) and its 3rd overdue reminder on 17 Feb instead.
    path = tmp_path / "holidays.toml"
    save_year(year_from_mapping(2027, TABLE_2027), path)
    with_table = load_calendar(path)
    with db.sessions() as s:
        s.query(ReminderSent).delete()
        s.commit()
    smtp.received.clear()
    result = svc.scan(db.sessions, now=_at(date(2027, 2, 9)), channels=channels, calendar=with_table)
    assert result.warnings == [] and result.enqueued == 0 and smtp.received == []
    svc.scan(db.sessions, now=_at(date(2027, 2, 17)), channels=channels, calendar=with_table)
    assert sorted(m["X-Workflow-Reminder"].split("/", 2)[2] for _, m in smtp.received) == [
        "deadline.body@2027-01-31/3/email",
        "overdue_escalation.office@2027-01-31/2/email",
    ]
    assert body.id
