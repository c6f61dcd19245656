"""Read-only lookups the pages need (the services own every write)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import ReportRow, Season
from workflow.domain.formats import format_for_year
from workflow.domain.model import Report, empty_report


def draft_of(report: ReportRow) -> Report:
    """The stored draft, or a blank report in the season's format when nothing was saved yet."""
    if report.draft:
        return Report.from_dict(report.draft)
    year = report.season.report_year
    blank = empty_report(format_for_year(year))
    blank.header.year = year
    blank.header.body_name = report.body.name
    blank.header.body_type = report.body.body_type
    return blank


def open_seasons(db: Session) -> list[Season]:
    return list(db.scalars(select(Season).order_by(Season.report_year.desc())))
