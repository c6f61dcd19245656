"""Which reminders are due on a given day, for whom and why (pure policy maths)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from workflow.domain.calendar import WorkCalendar
from workflow.domain.deadlines import BodyDeadline, Extension
from workflow.domain.reminders import (
    Audience,
    BodySituation,
    Channel,
    ReminderPolicy,
    Standing,
    deadline_steps,
    due_reminders,
    policy_from_mapping,
)

DUE = date(2027, 1, 31)  # a Sunday
WEEKENDS_ONLY = WorkCalendar()  # 2027 before the State Council's notice
POLICY = ReminderPolicy()


def todo(due: date = DUE) -> BodySituation:
    return BodySituation(BodyDeadline(statutory=DUE, due=due), Standing.TODO)


def keys(as_of: date, situation: BodySituation, policy: ReminderPolicy = POLICY) -> list[tuple[str, int]]:
    return [(r.reminder, r.step) for r in due_reminders(as_of, situation, WEEKENDS_ONLY, policy)]


def test_deadline_steps_count_workdays_back_from_a_sunday_deadline() -> None:
    steps = dict((s, d) for s, d in deadline_steps(DUE, WEEKENDS_ONLY, POLICY))
    assert steps[-1] == date(2027, 1, 29)  # Friday
    assert steps[-3] == date(2027, 1, 27)
    assert steps[-7] == date(2027, 1, 21)
    assert steps[-14] == date(2027, 1, 12)
    assert steps[-30] == date(2026, 12, 21)
    assert steps[0] == DUE
    assert [steps[k] for k in range(1, 6)] == [
        date(2027, 2, 1),
        date(2027, 2, 4),
        date(2027, 2, 9),
        date(2027, 2, 12),
        date(2027, 2, 17),
    ]


def test_the_latest_reached_step_is_due_and_stays_due_until_the_next() -> None:
    assert keys(date(2026, 12, 18), todo()) == []
    assert keys(date(2026, 12, 21), todo()) == [("deadline.body@2027-01-31", -30)]
    assert keys(date(2027, 1, 27), todo()) == [("deadline.body@2027-01-31", -3)]
    assert keys(date(2027, 1, 28), todo()) == [("deadline.body@2027-01-31", -3)]  # a missed scan catches up


def test_nothing_on_a_weekend_when_workdays_only() -> None:
    assert keys(date(2027, 1, 30), todo()) == []
    assert keys(DUE, todo()) == []
    anyday = ReminderPolicy(workdays_only=False)
    assert keys(DUE, todo(), anyday) == [("deadline.body@2027-01-31", 0)]


def test_overdue_reminds_the_body_and_escalates_to_office_and_head() -> None:
    due = due_reminders(date(2027, 2, 1), todo(), WEEKENDS_ONLY, POLICY)
    assert {(r.series, r.step, r.audience) for r in due} == {
        ("deadline", 1, Audience.BODY),
        ("overdue_escalation", 1, Audience.OFFICE),
        ("overdue_escalation", 1, Audience.HEAD),
    }
    body = next(r for r in due if r.audience is Audience.BODY)
    assert body.template == "reminder_overdue"
    assert "已逾期" in body.reason and "2027年1月31日（星期日）" in body.reason


def test_a_finished_series_is_not_sent_months_later() -> None:
    assert keys(date(2027, 2, 19), todo())  # last overdue step, still within its window
    assert keys(date(2027, 3, 30), todo()) == []


@pytest.mark.parametrize("standing", [Standing.DONE])
def test_done_bodies_get_nothing(standing: Standing) -> None:
    for day in (date(2026, 12, 21), date(2027, 1, 29), date(2027, 2, 1)):
        assert keys(day, BodySituation(BodyDeadline(DUE, DUE), standing)) == []


def test_a_submitted_report_stops_the_body_reminders_and_reminds_reviewers_later() -> None:
    waiting = BodySituation(BodyDeadline(DUE, DUE), Standing.IN_REVIEW, since=date(2027, 1, 25))
    assert keys(date(2027, 1, 27), waiting) == []
    due = due_reminders(date(2027, 1, 28), waiting, WEEKENDS_ONLY, POLICY)
    assert [(r.reminder, r.step, r.audience) for r in due] == [
        ("review_waiting.reviewers@2027-01-25", 1, Audience.REVIEWERS)
    ]


def test_a_returned_report_left_untouched_escalates() -> None:
    returned = BodySituation(BodyDeadline(DUE, DUE), Standing.RETURNED, since=date(2027, 1, 11))
    due = due_reminders(date(2027, 1, 18), returned, WEEKENDS_ONLY, POLICY)
    assert {(r.series, r.audience) for r in due} == {
        ("deadline", Audience.BODY),
        ("returned_idle", Audience.BODY),
        ("returned_idle", Audience.OFFICE),
        ("returned_idle", Audience.HEAD),
    }
    assert keys(date(2027, 1, 15), returned) == [("deadline.body@2027-01-31", -14)]


def test_an_extension_moves_the_date_and_starts_a_new_series() -> None:
    ext = Extension(date(2027, 2, 26), "机构改革", "王五", datetime(2027, 1, 20, 9))
    extended = BodySituation(BodyDeadline(DUE, date(2027, 2, 26), extension=ext), Standing.TODO)
    # No overdue reminder nor escalation for the old date; the new series names the new date.
    assert keys(date(2027, 2, 1), extended) == [("deadline.body@2027-02-26", -30)]
    assert keys(date(2027, 2, 8), extended) == [("deadline.body@2027-02-26", -14)]


def test_internal_review_date_reminders_stop_after_it() -> None:
    d = BodySituation(BodyDeadline(DUE, DUE, internal_due=date(2027, 1, 15)), Standing.TODO)
    assert ("internal.body@2027-01-15", -1) in keys(date(2027, 1, 14), d)
    assert ("internal.body@2027-01-15", 0) in keys(date(2027, 1, 15), d)
    assert not any(k.startswith("internal") for k, _ in keys(date(2027, 1, 18), d))


def test_policy_from_configuration_data() -> None:
    p = policy_from_mapping(
        {
            "before": [10, 2],
            "workdays_only": False,
            "overdue": {"every": 2, "count": 3},
            "returned_idle": {"enabled": False},
            "channels": {"body": ["email"], "head": []},
        }
    )
    assert p.before == (10, 2) and not p.workdays_only
    assert (p.overdue.start, p.overdue.every, p.overdue.count) == (1, 2, 3)
    assert p.returned_idle is None
    assert p.channels_for(Audience.BODY) == (Channel.EMAIL,)
    with pytest.raises(ValueError, match="未知"):
        policy_from_mapping({"befor": [1]})
