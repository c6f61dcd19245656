"""Reminder policy maths: on a given day, which reminders are due for one body, to whom, and why.

Each reminder belongs to a *series* anchored on a date (the deadline, the internal review date, the day a
report was returned or submitted).  A series has numbered steps, each scheduled on a workday.  On any day
only the latest step already reached is *active*; the send-once table (season, body, reminder, step,
channel) turns "active" into "sent exactly once", and a scan that missed a day still sends the active
step late instead of dropping it — while a step superseded by a later one is never sent.

The anchor date is part of the reminder's key, so an extension that moves the deadline starts a fresh
series for the new date and the old one simply stops being computed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from workflow.domain.calendar import WorkCalendar, describe_day
from workflow.domain.deadlines import BodyDeadline


class Audience(StrEnum):
    BODY = "body"  # the reporting body's contact
    HEAD = "head"  # the body's head (escalation)
    OFFICE = "office"  # the district 政务公开办
    REVIEWERS = "reviewers"


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"  # the body's WeCom / DingTalk group robot
    IN_APP = "in_app"


class Standing(StrEnum):
    """Where a body's report stands, as far as reminders care."""

    TODO = "todo"  # nothing submitted yet (no report, or a draft)
    RETURNED = "returned"  # returned for fixes: the body must act again
    IN_REVIEW = "in_review"  # submitted, waiting for the reviewers
    DONE = "done"  # approved or published


AUDIENCE_LABELS = {
    Audience.BODY: "报送单位",
    Audience.HEAD: "单位负责人",
    Audience.OFFICE: "区政务公开办",
    Audience.REVIEWERS: "审核人员",
}
CHANNEL_LABELS = {Channel.EMAIL: "邮件", Channel.WEBHOOK: "群机器人", Channel.IN_APP: "站内通知"}


@dataclass(frozen=True)
class Series:
    """`count` steps, the first `start` workdays after the anchor, then every `every` workdays."""

    start: int
    every: int
    count: int
    audiences: tuple[Audience, ...] = (Audience.BODY,)

    def __post_init__(self) -> None:
        if self.start < 0 or self.every < 1 or self.count < 0:
            raise ValueError("提醒间隔须为正数")

    def steps(self, cal: WorkCalendar, anchor: date) -> list[tuple[int, date]]:
        return [
            (k, cal.add_workdays(anchor, self.start + (k - 1) * self.every)) for k in range(1, self.count + 1)
        ]


@dataclass(frozen=True)
class ReminderPolicy:
    before: tuple[int, ...] = (30, 14, 7, 3, 1)  # workdays before the deadline
    on_day: bool = True
    overdue: Series = Series(start=1, every=3, count=5)
    internal_before: tuple[int, ...] = (3, 1)  # workdays before the internal review date
    escalate_overdue: Series | None = Series(
        start=1, every=5, count=3, audiences=(Audience.OFFICE, Audience.HEAD)
    )
    returned_idle: Series | None = Series(
        start=5, every=5, count=3, audiences=(Audience.BODY, Audience.OFFICE, Audience.HEAD)
    )
    review_waiting: Series | None = Series(start=3, every=3, count=5, audiences=(Audience.REVIEWERS,))
    channels: Mapping[Audience, tuple[Channel, ...]] = field(
        default_factory=lambda: {
            Audience.BODY: (Channel.EMAIL, Channel.WEBHOOK, Channel.IN_APP),
            Audience.HEAD: (Channel.EMAIL,),
            Audience.OFFICE: (Channel.EMAIL, Channel.IN_APP),
            Audience.REVIEWERS: (Channel.IN_APP, Channel.EMAIL),
        }
    )
    workdays_only: bool = True  # send nothing on weekends and public holidays

    def channels_for(self, audience: Audience) -> tuple[Channel, ...]:
        return tuple(self.channels.get(audience, ()))


@dataclass(frozen=True)
class DueReminder:
    """One reminder that should go out today (to every channel of its audience)."""

    series: str  # deadline | internal | overdue_escalation | returned_idle | review_waiting
    anchor: date
    step: int  # deadline series: -n workdays before, 0 on the day, k-th overdue
    audience: Audience
    scheduled_on: date
    due: date  # the deadline concerned
    reason: str

    @property
    def reminder(self) -> str:
        """The stable key stored in reminders_sent.reminder (with season, body, step and channel)."""
        return f"{self.series}.{self.audience.value}@{self.anchor.isoformat()}"

    @property
    def template(self) -> str:
        if self.series == "deadline":
            return "reminder_overdue" if self.step > 0 else "reminder_deadline"
        return f"reminder_{self.series}"


@dataclass(frozen=True)
class BodySituation:
    """What the policy needs to know about one body on one day."""

    deadline: BodyDeadline
    standing: Standing
    since: date | None = None  # returned on / submitted on / last touched (RETURNED, IN_REVIEW)


def due_reminders(
    as_of: date, situation: BodySituation, cal: WorkCalendar, policy: ReminderPolicy
) -> list[DueReminder]:
    """The reminders active on `as_of` for one body (empty on non-workdays when so configured)."""
    if situation.standing is Standing.DONE:
        return []
    if policy.workdays_only and not cal.is_workday(as_of):
        return []
    out: list[DueReminder] = []
    d = situation.deadline
    if situation.standing in (Standing.TODO, Standing.RETURNED):
        out += _deadline(as_of, d.due, cal, policy)
        if d.internal_due is not None and as_of <= d.internal_due:
            out += _internal(as_of, d.internal_due, d.due, cal, policy)
        if policy.escalate_overdue is not None and as_of > d.due:
            out += _series(as_of, "overdue_escalation", d.due, d.due, policy.escalate_overdue, cal)
    if situation.standing is Standing.RETURNED and situation.since and policy.returned_idle:
        out += _series(as_of, "returned_idle", situation.since, d.due, policy.returned_idle, cal)
    if situation.standing is Standing.IN_REVIEW and situation.since and policy.review_waiting:
        out += _series(as_of, "review_waiting", situation.since, d.due, policy.review_waiting, cal)
    return out


def deadline_steps(due: date, cal: WorkCalendar, policy: ReminderPolicy) -> list[tuple[int, date]]:
    """All steps of a deadline series, in date order: before, on the day, overdue."""
    steps = [(-n, cal.add_workdays(due, -n)) for n in sorted(set(policy.before), reverse=True) if n > 0]
    if policy.on_day:
        steps.append((0, due))
    steps += [(k, cal.add_workdays(due, policy.overdue.start + (k - 1) * policy.overdue.every))
              for k in range(1, policy.overdue.count + 1)]  # fmt: skip
    return steps


def _active(as_of: date, steps: Sequence[tuple[int, date]], last_until: date) -> tuple[int, date] | None:
    """The latest step reached by `as_of`; a series' last step stays active only before `last_until`."""
    reached = [s for s in steps if s[1] <= as_of]
    if not reached:
        return None
    latest = max(reached, key=lambda s: (s[1], s[0]))
    if latest == max(steps, key=lambda s: (s[1], s[0])) and as_of >= last_until:
        return None  # the series is over: a scan months later must not send its last step
    return latest


def _deadline(as_of: date, due: date, cal: WorkCalendar, policy: ReminderPolicy) -> list[DueReminder]:
    steps = deadline_steps(due, cal, policy)
    active = _active(as_of, steps, cal.add_workdays(steps[-1][1], policy.overdue.every)) if steps else None
    if active is None:
        return []
    step, on = active
    reason = _deadline_reason(as_of, due, cal)
    return [DueReminder("deadline", due, step, Audience.BODY, on, due, reason)]


def _internal(
    as_of: date, internal: date, due: date, cal: WorkCalendar, policy: ReminderPolicy
) -> list[DueReminder]:
    steps = [(-n, cal.add_workdays(internal, -n)) for n in sorted(set(policy.internal_before), reverse=True)]
    steps.append((0, internal))
    active = _active(as_of, steps, internal + timedelta(days=1))
    if active is None:
        return []
    left = _workdays_left(as_of, internal, cal)
    reason = f"内部审核截止日期为{describe_day(internal)}，" + (
        f"含今天还有{left}个工作日，报告尚未提交"
        if as_of < internal
        else "今天是内部审核截止日，报告尚未提交"
    )
    return [DueReminder("internal", internal, active[0], Audience.BODY, active[1], due, reason)]


def _series(
    as_of: date, name: str, anchor: date, due: date, series: Series, cal: WorkCalendar
) -> list[DueReminder]:
    steps = series.steps(cal, anchor)
    active = _active(as_of, steps, cal.add_workdays(steps[-1][1], series.every)) if steps else None
    if active is None:
        return []
    step, on = active
    reason = _series_reason(name, as_of, anchor, due, cal)
    return [DueReminder(name, anchor, step, a, on, due, reason) for a in series.audiences]


def _deadline_reason(as_of: date, due: date, cal: WorkCalendar) -> str:
    when = describe_day(due)
    if as_of < due:
        return f"报送截止日期为{when}，含今天还有{_workdays_left(as_of, due, cal)}个工作日，报告尚未提交"
    if as_of == due:
        return f"今天（{when}）是报送截止日，报告尚未提交"
    return f"报告已逾期：截止日期为{when}，已超过{cal.workdays_between(due, as_of)}个工作日仍未提交"


def _workdays_left(as_of: date, due: date, cal: WorkCalendar) -> int:
    """Workdays in [as_of, due): the step "7 workdays before" reads "含今天还有7个工作日"."""
    one = timedelta(days=1)
    return cal.workdays_between(as_of - one, due - one)


def _series_reason(name: str, as_of: date, anchor: date, due: date, cal: WorkCalendar) -> str:
    days = cal.workdays_between(anchor, as_of)
    if name == "overdue_escalation":
        return f"报告逾期未交：截止日期为{describe_day(due)}，已超过{days}个工作日"
    if name == "returned_idle":
        return f"报告于{describe_day(anchor)}退回修改，已{days}个工作日未处理"
    return f"报告于{describe_day(anchor)}提交审核，已等待{days}个工作日"


def policy_from_mapping(data: Mapping[str, Any]) -> ReminderPolicy:
    """Build a policy from configuration data (config/defaults.toml [reminders]); unknown keys are errors."""
    default = ReminderPolicy()
    known = {f for f in ReminderPolicy.__dataclass_fields__}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"未知的提醒策略设置：{', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        current = getattr(default, key)
        if key == "channels":
            kwargs[key] = {Audience(a): tuple(Channel(c) for c in cs) for a, cs in value.items()}
        elif isinstance(current, Series) or (current is None and isinstance(value, Mapping)):
            kwargs[key] = _series_from(value, current)
        elif isinstance(current, tuple):
            kwargs[key] = tuple(int(v) for v in value)
        else:
            kwargs[key] = value
    return ReminderPolicy(**kwargs)


def _series_from(value: Any, current: Series | None) -> Series | None:
    if value is False or value is None or (isinstance(value, Mapping) and not value.get("enabled", True)):
        return None
    base = current or Series(start=1, every=1, count=1)
    return Series(
        start=int(value.get("start", base.start)),
        every=int(value.get("every", base.every)),
        count=int(value.get("count", base.count)),
        audiences=tuple(Audience(a) for a in value.get("audiences", base.audiences)),
    )
