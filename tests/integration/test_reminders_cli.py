"""`workflow reminders plan`, a worker dying mid-send, retries then failure, the webhook formats."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from workflow.cli import main
from workflow.clock import FixedClock
from workflow.db.factories import make_body, make_jurisdiction, make_season
from workflow.db.models import ReminderSent, ReportRow
from workflow.domain.calendar import WorkCalendar
from workflow.notify.mailer import MemoryMailer
from workflow.notify.message import DeliveryError, Message
from workflow.notify.webhooks import (
    MemoryWebhookSender,
    dingtalk_payload,
    dingtalk_sign,
    signed_url,
    wecom_payload,
)
from workflow.services import reminders as svc

pytestmark = pytest.mark.integration
TZ = FixedClock(datetime(2027, 1, 20, 9)).now().tzinfo


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def _seed(db: Any) -> dict[str, int]:
    with db.sessions() as s:
        make_jurisdiction(s)
        season = make_season(s, 2026)
        late = make_body(
            s, "甲镇人民政府", contact_email="jia@example.gov.cn", head_email="head@example.gov.cn"
        )
        done = make_body(s, "乙镇人民政府", contact_email="yi@example.gov.cn")
        s.add(
            ReportRow(
                body_id=done.id,
                season_id=season.id,
                state="published",
                state_changed_at=_at(date(2027, 1, 8)),
            )
        )
        s.commit()
        return {"late": late.id, "done": done.id, "season": season.id}


def test_plan_lists_what_would_go_to_whom_and_why(db: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(db)
    assert main(["reminders", "plan", "--as-of", "2027-01-21"]) == 0
    out = capsys.readouterr().out
    assert "甲镇人民政府｜报送单位｜邮件｜jia@example.gov.cn" in out  # channels named in words
    assert "含今天还有7个工作日" in out and "乙镇" not in out
    assert "2027 年没有节假日数据" in out  # the administrator's warning
    assert db.count("reminders_sent") == 0  # a preview sends nothing

    assert main(["reminders", "plan", "--as-of", "2027-02-01", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {(r["audience"], r["channel"]) for r in rows} >= {
        ("body", "email"),
        ("head", "email"),
        ("body", "in_app"),
    }


class FlakyMailer(MemoryMailer):
    def __init__(self) -> None:
        super().__init__()
        self.down = True

    def send(self, message: Message) -> None:
        if self.down:
            raise DeliveryError("连接被拒绝")
        super().send(message)


def _channels(mailer: MemoryMailer, max_attempts: int = 10) -> svc.Channels:
    return svc.Channels(mailer, MemoryWebhookSender(), max_attempts=max_attempts)


def test_a_claim_left_by_a_dead_worker_is_retried_after_the_lease(db: Any) -> None:
    ids = _seed(db)
    now = _at(date(2027, 1, 21))
    cal = WorkCalendar()
    with db.sessions() as s:
        assert svc.enqueue_due(s, now=now, calendar=cal) > 0
    # A worker claims every row and dies before sending anything.
    with db.sessions() as s:
        candidates = s.execute(select(ReminderSent.id, ReminderSent.attempts)).all()
    assert svc._claim(db.sessions, candidates, now)
    mailer = MemoryMailer()
    assert (
        svc.deliver_queued(db.sessions, now=now + timedelta(minutes=5), channels=_channels(mailer)).sent == 0
    )
    result = svc.deliver_queued(db.sessions, now=now + svc.LEASE, channels=_channels(mailer))
    assert result.sent == len(candidates)
    assert [m.to for m in mailer.outbox] == [("jia@example.gov.cn",)]
    assert ids["late"]


def test_mail_server_down_retries_with_backoff_then_fails_for_the_administrator(
    db: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(db)
    now = _at(date(2027, 1, 21))
    mailer = FlakyMailer()
    with db.sessions() as s:
        svc.enqueue_due(s, now=now, calendar=WorkCalendar())
    waits = []
    for _ in range(3):
        r = svc.deliver_queued(db.sessions, now=now, channels=_channels(mailer, max_attempts=3))
        with db.sessions() as s:
            row = s.scalars(select(ReminderSent).where(ReminderSent.channel == "email")).one()
        if row.status == "queued":
            assert row.next_attempt_at is not None
            waits.append(row.next_attempt_at - now)
            now = row.next_attempt_at
    assert waits == [timedelta(minutes=2), timedelta(minutes=4)]
    assert row.status == "failed" and row.attempts == 3 and "连接被拒绝" in (row.last_error or "")
    with db.sessions() as s:
        assert [f.id for f in svc.failed_reminders(s)] == [row.id]
    assert main(["reminders", "failed"]) == 1
    assert "连接被拒绝" in capsys.readouterr().out
    assert r.failed == 1


def test_a_reminder_no_longer_applying_is_skipped_at_send_time(db: Any) -> None:
    ids = _seed(db)
    now = _at(date(2027, 1, 21))
    with db.sessions() as s:
        svc.enqueue_due(s, now=now, calendar=WorkCalendar())
        s.add(
            ReportRow(body_id=ids["late"], season_id=ids["season"], state="submitted", state_changed_at=now)
        )
        s.commit()
    mailer = MemoryMailer()
    r = svc.deliver_queued(db.sessions, now=now, channels=_channels(mailer))
    assert r.sent == 0 and r.skipped > 0 and mailer.outbox == []


def test_webhook_message_formats_and_dingtalk_signature() -> None:
    assert wecom_payload("标题", "内容") == {"msgtype": "markdown", "markdown": {"content": "**标题**\n内容"}}
    ding = dingtalk_payload("标题", "内容")
    assert ding["msgtype"] == "markdown" and ding["markdown"]["title"] == "标题"
    # The example from DingTalk's documentation scheme: HMAC-SHA256 of "timestamp\nsecret", base64, urlencoded.
    sign = dingtalk_sign("SEC000", 1700000000000)
    assert "%" in sign or sign.isascii()
    url = signed_url("https://oapi.dingtalk.com/robot/send?access_token=x", "SEC000", 1700000000000)
    assert url.endswith(f"&timestamp=1700000000000&sign={sign}")
    assert signed_url("https://oapi.dingtalk.com/robot/send?access_token=x", None) == (
        "https://oapi.dingtalk.com/robot/send?access_token=x"
    )
