"""Due dates per body for the pages and exports: loaded from the season's rows, decided by the domain.

The decision (a granted extension wins, then the most specific season rule, then the date the 条例 sets:
31 March for a county or city government's own report, 31 January otherwise) is the domain calendar's,
`workflow.domain.deadlines.SeasonCalendar` — the same one the reminders ask (`services.reminders`), so a
page never calls 逾期 a report the reminders still count as on time.  This module only loads a season's
rules and extensions once and remembers the answer per (body type, locality): the overview asks for
thousands of bodies of a handful of kinds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import Body, Extension, Season
from workflow.domain.deadlines import BodyDeadline, SeasonCalendar
from workflow.domain.deadlines import Extension as DomainExtension
from workflow.services.reminders import season_calendar


class DueDates:
    """Loads each season's calendar and extensions once, per request or per overview computation."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self._calendars: dict[int, SeasonCalendar] = {}
        self._extensions: dict[int, dict[int, list[DomainExtension]]] = {}
        self._resolvers: dict[int, Callable[[int, str, str | None], date]] = {}

    def calendar(self, season: Season) -> SeasonCalendar:
        hit = self._calendars.get(season.id)
        if hit is None:
            hit = self._calendars[season.id] = season_calendar(self.db, season)
        return hit

    def extensions(self, season: Season) -> dict[int, list[DomainExtension]]:
        hit = self._extensions.get(season.id)
        if hit is None:
            found: dict[int, list[DomainExtension]] = defaultdict(list)
            q = select(
                Extension.body_id, Extension.new_due_date, Extension.reason, Extension.granted_at
            ).where(Extension.season_id == season.id)
            for body_id, new_due, reason, at in self.db.execute(q):
                found[body_id].append(DomainExtension(new_due, reason, granted_at=at))
            hit = self._extensions[season.id] = dict(found)
        return hit

    def deadline(self, body: Body, season: Season) -> BodyDeadline:
        """Everything the domain says about one body's deadline (statutory date, extension, internal)."""
        granted = self.extensions(season).get(body.id, ())
        return self.calendar(season).deadline_for(body.body_type, body.locality, granted)

    def due(self, body: Body, season: Season) -> date:
        return self.due_for(season, body.id, body.body_type, body.locality)

    def due_for(self, season: Season, body_id: int, body_type: str, locality: str | None) -> date:
        return self.resolver(season)(body_id, body_type, locality)

    def resolver(self, season: Season) -> Callable[[int, str, str | None], date]:
        """`due_for` in `season` as a function of (body id, body type, locality), made once per
        season: the overview asks it for thousands of bodies of a handful of (type, locality) kinds."""
        hit = self._resolvers.get(season.id)
        if hit is not None:
            return hit
        calendar, extensions = self.calendar(season), self.extensions(season)
        kinds: dict[tuple[str, str | None], date] = {}

        def due(body_id: int, body_type: str, locality: str | None) -> date:
            granted = extensions.get(body_id)
            if granted:
                return calendar.deadline_for(body_type, locality, granted).due
            key = (body_type, locality)
            found = kinds.get(key)
            if found is None:
                found = kinds[key] = calendar.deadline_for(body_type, locality).due
            return found

        self._resolvers[season.id] = due
        return due
