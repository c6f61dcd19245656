"""The season calendar: when each body's annual report is due.

条例 art. 49: 县级以上人民政府部门 publish their report for year Y by Y+1-01-31; a 县级以上地方人民政府's own
report is published by Y+1-03-31.  乡镇 and 街道 are not named there: local notices set their date
(default Y+1-01-31).  A season may carry rows that override the default per body type and locality,
an internal date for review (often mid-January), and per-body extensions granted with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from workflow.domain.bodies import BodyType

# 县级以上地方人民政府 publishing their own report (art. 49, second sentence).
OWN_REPORT_GOVERNMENTS = frozenset(
    {BodyType.COUNTY_GOVERNMENT, BodyType.CITY_GOVERNMENT, BodyType.PROVINCIAL_GOVERNMENT}
)
LOCAL_BODIES = frozenset({BodyType.TOWNSHIP, BodyType.STREET})


def statutory_deadline(
    report_year: int, body_type: BodyType | str, *, township_due: date | None = None
) -> date:
    """The date the law (or, for 乡镇/街道, the configured local rule) sets for a report year."""
    bt = BodyType(body_type)
    if bt in OWN_REPORT_GOVERNMENTS:
        return date(report_year + 1, 3, 31)
    if bt in LOCAL_BODIES and township_due is not None:
        return township_due
    return date(report_year + 1, 1, 31)


@dataclass(frozen=True)
class DeadlineRule:
    """A season's override: bodies of a type (None: any) in a locality (None: any) are due on `due`."""

    due: date
    body_type: BodyType | None = None
    locality: str | None = None
    internal_due: date | None = None

    def matches(self, body_type: BodyType, locality: str | None) -> bool:
        return (self.body_type in (None, body_type)) and (self.locality in (None, locality))

    @property
    def specificity(self) -> int:
        return (2 if self.body_type is not None else 0) + (1 if self.locality is not None else 0)


@dataclass(frozen=True)
class Extension:
    """A per-body extension: the new date, why, who granted it and when (the audit trail)."""

    new_due: date
    reason: str
    granted_by: str = ""
    granted_at: datetime | None = None


@dataclass(frozen=True)
class BodyDeadline:
    """What one body must meet this season."""

    statutory: date  # before any extension
    due: date  # the date reminders count towards
    internal_due: date | None = None
    extension: Extension | None = None

    @property
    def extended(self) -> bool:
        return self.extension is not None


@dataclass(frozen=True)
class SeasonCalendar:
    """Deadlines for one report year: the statutory defaults plus the season's overrides."""

    report_year: int
    rules: Sequence[DeadlineRule] = ()
    township_due: date | None = None  # None: Y+1-01-31
    internal_due: date | None = None  # season-wide internal review date, if any

    def base_deadline(
        self, body_type: BodyType | str, locality: str | None = None
    ) -> tuple[date, date | None]:
        bt = BodyType(body_type)
        matching = [r for r in self.rules if r.matches(bt, locality)]
        if matching:
            best = max(matching, key=lambda r: r.specificity)
            return best.due, best.internal_due or self._internal_before(best.due)
        due = statutory_deadline(self.report_year, bt, township_due=self.township_due)
        return due, self._internal_before(due)

    def deadline_for(
        self, body_type: BodyType | str, locality: str | None = None, extensions: Iterable[Extension] = ()
    ) -> BodyDeadline:
        due, internal = self.base_deadline(body_type, locality)
        latest = latest_extension(extensions)
        if latest is None:
            return BodyDeadline(statutory=due, due=due, internal_due=internal)
        # An extension moves the date that counts; the internal review date no longer applies.
        return BodyDeadline(statutory=due, due=latest.new_due, internal_due=None, extension=latest)

    def _internal_before(self, due: date) -> date | None:
        # A season-wide internal review date applies only to deadlines that fall after it.
        if self.internal_due is not None and self.internal_due < due:
            return self.internal_due
        return None


def latest_extension(extensions: Iterable[Extension]) -> Extension | None:
    """The extension granted last wins (a later one may shorten or lengthen an earlier one)."""
    ordered = sorted(extensions, key=_granted_order)
    return ordered[-1] if ordered else None


def _granted_order(e: Extension) -> tuple[float, date]:
    return (e.granted_at.timestamp() if e.granted_at else float("-inf"), e.new_due)
