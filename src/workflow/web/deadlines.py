"""Due dates per body: an extension wins, then a locality-specific deadline, then the body type's."""

from __future__ import annotations

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
        self._load(season.id)
        if body_id in self._extensions[season.id]:
            return self._extensions[season.id][body_id]
        table = self._deadlines[season.id]
        return (
            table.get((body_type, locality))
            or table.get((body_type, None))
            or date(season.report_year + 1, 1, 31)
        )
