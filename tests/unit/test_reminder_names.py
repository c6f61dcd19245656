"""Reminders named for people, from the key and step the send-once table stores."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from workflow.domain.reminder_names import describe, name_reminder
from workflow.domain.reminders import Audience, DueReminder


@pytest.mark.parametrize(
    ("series", "step", "audience", "text"),
    [
        ("deadline", -3, Audience.BODY, "截止前 3 个工作日"),
        ("deadline", 0, Audience.BODY, "截止当天"),
        ("deadline", 2, Audience.BODY, "逾期后第 2 次催报"),
        ("internal", -1, Audience.BODY, "内部审核截止前 1 个工作日"),
        ("overdue_escalation", 1, Audience.OFFICE, "逾期未交，第 1 次告知政务公开办和单位负责人"),
        ("returned_idle", 2, Audience.HEAD, "退回后未修改，第 2 次提醒"),
        ("review_waiting", 3, Audience.REVIEWERS, "等待审核，第 3 次提醒审核人员"),
    ],
)
def test_every_kind_of_reminder_has_a_name(series, step, audience, text) -> None:
    due = DueReminder(series, date(2027, 1, 31), step, audience, date(2027, 1, 26), date(2027, 1, 31), "")
    assert name_reminder(due.reminder, str(step)) == text  # the key and step as stored


def test_described_as_the_office_reads_it() -> None:
    at = datetime(2027, 1, 26, 9, 0)
    assert (
        describe("deadline.body@2027-01-31", "-3", "sent", "email", at)
        == "截止前 3 个工作日 · 已发送 2027-01-26 09:00 · 邮件"
    )
    assert (
        describe("deadline.body@2027-01-31", "0", "queued", "webhook", None) == "截止当天 · 待发送 · 群机器人"
    )
    assert (
        describe("deadline.body@2027-01-31", "1", "failed", "in_app", None)
        == "逾期后第 1 次催报 · 发送失败 · 站内通知"
    )
    assert "@" not in describe("something.odd", "x", "weird", "fax", None)
