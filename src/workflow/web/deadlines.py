"""Due dates per body: an extension wins, then a locality-specific deadline, then the body type's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import Body, Extension, Season, SeasonDeadline


class DueDates:
    """Loads each season's deadlines and extensions once (the dashboard asks for thousands of bodies)."""

    def __init__(self, db: Session) -> None:
        self.db = db
        self._deadlines: dict[int, dict[tuple[str, str | None], date]] = {}
        self._extensions: dict[int, dict[int, date]] = {}
        self._resolvers: dict[int, Callable[[int, str, str | None], date]] = {}

    def _load(self, season_id: int) -> None:
        if season_id in self._deadlines:
            return
        rows = self.db.scalars(select(SeasonDeadline).where(SeasonDeadline.season_id == season_id))
        self._deadlines[season_id] = {(d.body_type, d.locality): d.due_date for d in rows}
        ext: dict[int, date] = {}
        for e in self.db.scalars(
            select(Extension).where(Extension.season_id == season_id).order_by(Extension.id)
        ):
            ext[e.body_id] = e.new_due_date  # the latest extension granted counts
        self._extensions[season_id] = ext

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
        self._load(season.id)
        extensions, table = self._extensions[season.id], self._deadlines[season.id]
        default = date(season.report_year + 1, 1, 31)
        kinds: dict[tuple[str, str | None], date] = {}

        def due(body_id: int, body_type: str, locality: str | None) -> date:
            if body_id in extensions:
                return extensions[body_id]
            key = (body_type, locality)
            found = kinds.get(key)
            if found is None:
                found = kinds[key] = table.get(key) or table.get((body_type, None)) or default
            return found

        self._resolvers[season.id] = due
        return due
