"""One source of due dates: the office's pages and the reminders ask the same domain calendar.

For every body type (plus a locality rule and an extension) the due date the dashboard shows is the one
the reminder scan counts towards, day by day through the season; a county government's own report is
due on 31 March (条例 art. 49), so it is not 逾期 on 1 February.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from workflow.db.factories import make_body, make_jurisdiction
from workflow.db.models import Extension, Season, SeasonDeadline
from workflow.domain.bodies import BodyType
from workflow.domain.reminders import ReminderPolicy
from workflow.services.reminders import plan
from workflow.web.dashboard import season_status
from workflow.web.deadlines import DueDates

pytestmark = pytest.mark.both_backends

YEAR = 2026
NAMES = {
    BodyType.TOWNSHIP: "多巴镇人民政府",
    BodyType.STREET: "康川街道办事处",
    BodyType.COUNTY_GOVERNMENT: "西宁市湟中区人民政府",
    BodyType.COUNTY_DEPARTMENT: "西宁市湟中区教育局",
    BodyType.CITY_GOVERNMENT: "西宁市人民政府",
    BodyType.CITY_DEPARTMENT: "西宁市民政局",
    BodyType.PROVINCIAL_GOVERNMENT: "青海省人民政府",
    BodyType.PROVINCIAL_OFFICE: "青海省人民政府办公厅",
    BodyType.STATE_COUNCIL_DEPARTMENT: "国家统计局",
    BodyType.OTHER: "西宁市湟中区某事业单位",
}


def _season(s, *, township_due: date | None = None) -> Season:
    """A season with no per-type rows (the statute decides), or only the local notice's 乡镇 date."""
    season = Season(report_year=YEAR, stages=["district_office"], internal_review_date=None)
    s.add(season)
    s.flush()
    if township_due is not None:
        s.add(SeasonDeadline(season_id=season.id, body_type="township", locality=None, due_date=township_due))
    s.flush()
    return season


def _reminder_dues(s, body_ids: set[int]) -> dict[int, set[date]]:
    """Every due date the reminder scan counts towards, per body, scanning each day of the season."""
    policy = ReminderPolicy()
    out: dict[int, set[date]] = {b: set() for b in body_ids}
    day = date(YEAR + 1, 1, 1)
    while day <= date(YEAR + 1, 5, 15):
        for p in plan(s, as_of=day, policy=policy):
            if p.body_id in out:
                out[p.body_id].add(p.due.due)
        day += timedelta(days=1)
    return out


def test_dashboard_and_reminders_agree_for_every_body_type(db) -> None:
    with db.sessions() as s:
        district = make_jurisdiction(s)
        season = _season(s, township_due=date(YEAR + 1, 1, 25))
        bodies = {
            bt: make_body(s, name, jurisdiction=district, body_type=bt.value) for bt, name in NAMES.items()
        }
        local = make_body(
            s, "田家寨镇人民政府", jurisdiction=district, body_type="township", locality="田家寨"
        )
        s.add(
            SeasonDeadline(
                season_id=season.id, body_type="township", locality="田家寨", due_date=date(2027, 2, 5)
            )
        )
        extended = make_body(s, "西宁市湟中区民政局", jurisdiction=district, body_type="county_department")
        s.add(
            Extension(
                season_id=season.id,
                body_id=extended.id,
                new_due_date=date(2027, 2, 26),
                reason="系统故障",
                granted_at=datetime(2027, 1, 20, 1, 0, tzinfo=UTC),
            )
        )
        s.commit()

        rows = {r.body.id: r for r in season_status(s, season, date(YEAR + 1, 2, 1))}
        shown = {bid: r.due for bid, r in rows.items()}
        reminded = _reminder_dues(s, set(shown))
        assert {bid: {due} for bid, due in shown.items()} == reminded

        # What the law and the season say, as the pages show it.
        by_type = {bt: shown[b.id] for bt, b in bodies.items()}
        for bt in (BodyType.COUNTY_GOVERNMENT, BodyType.CITY_GOVERNMENT, BodyType.PROVINCIAL_GOVERNMENT):
            assert by_type[bt] == date(2027, 3, 31), bt
        assert by_type[BodyType.TOWNSHIP] == date(2027, 1, 25)  # the local notice's row
        assert by_type[BodyType.STREET] == date(2027, 1, 31)
        assert by_type[BodyType.COUNTY_DEPARTMENT] == date(2027, 1, 31)
        assert shown[local.id] == date(2027, 2, 5)  # the locality's row beats the type's
        assert shown[extended.id] == date(2027, 2, 26)  # the extension beats everything
        # The reviewer's queue and the API use the same loader.
        assert DueDates(s).due(bodies[BodyType.COUNTY_GOVERNMENT], season) == date(2027, 3, 31)


def test_county_government_is_not_overdue_on_1_february(db) -> None:
    with db.sessions() as s:
        district = make_jurisdiction(s)
        season = _season(s)
        government = make_body(s, NAMES[BodyType.COUNTY_GOVERNMENT], jurisdiction=district)
        department = make_body(s, NAMES[BodyType.COUNTY_DEPARTMENT], jurisdiction=district)
        s.commit()
        assert government.body_type == "county_government"
        feb1 = {r.body.id: r for r in season_status(s, season, date(YEAR + 1, 2, 1))}
        assert feb1[government.id].status == "not_started"
        assert feb1[government.id].overdue == ""
        assert feb1[government.id].due == date(YEAR + 1, 3, 31)
        assert feb1[department.id].overdue == "late"  # a department's report was due on 31 January
        apr1 = {r.body.id: r for r in season_status(s, season, date(YEAR + 1, 4, 1))}
        assert apr1[government.id].overdue == "late"
