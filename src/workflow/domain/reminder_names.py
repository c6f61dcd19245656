"""Reminders named for people: "截止前 3 个工作日 · 已发送 2027-01-26 09:00 · 邮件", never the stored key.

A reminder is stored under a key "<series>.<audience>@<anchor date>" and a step (see
`workflow.domain.reminders.DueReminder.reminder`); these functions turn both into plain Chinese.
"""

from __future__ import annotations

from datetime import datetime

from workflow.domain.reminders import AUDIENCE_LABELS, CHANNEL_LABELS, Audience, Channel

STATUS_WORDS = {"queued": "待发送", "sent": "已发送", "failed": "发送失败", "skipped": "已不需要，未发送"}


def series_of(key: str) -> tuple[str, str]:
    """(series, audience) of a stored key "deadline.body@2027-01-31"; ("", "") for anything else."""
    head = key.partition("@")[0]
    series, _, audience = head.partition(".")
    return series, audience


def name_step(series: str, step: int | str) -> str:
    """What one step of a series is: "截止前 3 个工作日", "截止当天", "逾期后第 2 次催报" …"""
    try:
        n = int(step)
    except (TypeError, ValueError):
        n = 0
    if series == "deadline":
        if n < 0:
            return f"截止前 {-n} 个工作日"
        return "截止当天" if n == 0 else f"逾期后第 {n} 次催报"
    if series == "internal":
        return f"内部审核截止前 {-n} 个工作日" if n < 0 else "内部审核截止当天"
    if series == "overdue_escalation":
        return f"逾期未交，第 {n} 次告知政务公开办和单位负责人"
    if series == "returned_idle":
        return f"退回后未修改，第 {n} 次提醒"
    if series == "review_waiting":
        return f"等待审核，第 {n} 次提醒审核人员"
    return "提醒"


def name_reminder(key: str, step: int | str) -> str:
    """The step's name, plus to whom when it is not the body itself."""
    series, audience = series_of(key)
    text = name_step(series, step)
    if audience and audience != Audience.BODY.value and series in ("deadline", "internal"):
        label = AUDIENCE_LABELS.get(Audience(audience)) if audience in Audience._value2member_map_ else None
        text += f"（致{label}）" if label else ""
    return text


def channel_name(channel: str) -> str:
    return CHANNEL_LABELS[Channel(channel)] if channel in Channel._value2member_map_ else "其他渠道"


def describe(
    key: str, step: int | str, status: str, channel: str, at: datetime | None, fmt: str = "%Y-%m-%d %H:%M"
) -> str:
    """ "截止前 3 个工作日 · 已发送 2027-01-26 09:00 · 邮件" (`at` already in local time)."""
    when = f" {at.strftime(fmt)}" if at is not None else ""
    word = STATUS_WORDS.get(status, "待发送")
    return f"{name_reminder(key, step)} · {word}{when} · {channel_name(channel)}"
