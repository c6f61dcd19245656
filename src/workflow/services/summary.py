"""The district's summary (汇总) from the database: which reports count, last year beside this year,
and the district government's own draft pre-filled with the sums.

A report counts with its approved content: the latest version of a report that is approved or
published, or — while a published report is being corrected — the version last published.  With
`published_only` (the public site) only published versions count.  The district government's own
report (it says it aggregates its bodies) never counts: it would add the district twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.db.models import Body, Jurisdiction, Publication, ReportRow, ReportVersion, Season
from workflow.domain.bodies import BodyType
from workflow.domain.formats import FormatId, format_for_year
from workflow.domain.model import Report
from workflow.domain.states import EDITABLE_STATES, STATE_LABELS, ReportState
from workflow.domain.summary import BodyReport, Outlier, Summary, district_draft, find_outliers, summarize
from workflow.services import audit
from workflow.services.drafts import create_report, save_draft
from workflow.services.errors import InvalidTransition, NotFound
from workflow.services.lifecycle import transactional

COUNTED_STATES = (ReportState.APPROVED.value, ReportState.PUBLISHED.value)


@dataclass(slots=True)
class DistrictSummary:
    jurisdiction: str
    year: int
    current: Summary
    previous: Summary  # last year's reports, summed in this year's format
    outliers: list[Outlier] = field(default_factory=list)

    @property
    def format(self) -> FormatId:
        return self.current.format


def jurisdictions(session: Session) -> list[Jurisdiction]:
    return list(session.scalars(select(Jurisdiction).order_by(Jurisdiction.id)))


def counted_reports(
    session: Session, jurisdiction_id: int, year: int, *, published_only: bool = False
) -> list[BodyReport]:
    """The approved (or, with `published_only`, published) reports of a jurisdiction's bodies for `year`."""
    rows = session.execute(
        select(ReportRow.id, ReportRow.state, Body.name, Body.body_type)
        .join(Body, Body.id == ReportRow.body_id)
        .join(Season, Season.id == ReportRow.season_id)
        .where(Body.jurisdiction_id == jurisdiction_id, Season.report_year == year)
        .order_by(Body.name, ReportRow.id)
    ).all()
    if not rows:
        return []
    ids = [r.id for r in rows]
    published: dict[int, int] = {}  # report id -> version number last published
    for report_id, number in session.execute(
        select(Publication.report_id, ReportVersion.number)
        .join(ReportVersion, ReportVersion.id == Publication.version_id)
        .where(Publication.report_id.in_(ids))
    ):
        published[report_id] = max(number, published.get(report_id, 0))
    latest: dict[int, int] = {}
    for report_id, number in session.execute(
        select(ReportVersion.report_id, ReportVersion.number).where(ReportVersion.report_id.in_(ids))
    ):
        latest[report_id] = max(number, latest.get(report_id, 0))
    wanted: dict[int, int] = {}
    for r in rows:
        if not published_only and r.state in COUNTED_STATES and r.id in latest:
            wanted[r.id] = latest[r.id]
        elif r.id in published:
            wanted[r.id] = published[r.id]
    if not wanted:
        return []
    contents: dict[int, Report] = {}
    for report_id, number, content in session.execute(
        select(ReportVersion.report_id, ReportVersion.number, ReportVersion.content).where(
            ReportVersion.report_id.in_(list(wanted))
        )
    ):
        if wanted[report_id] == number:
            contents[report_id] = Report.from_dict(content)
    out = []
    for r in rows:
        content = contents.get(r.id)
        if content is None or content.aggregates_bodies:
            continue
        out.append(BodyReport(r.id, r.name, r.body_type, content))
    return out


def district_summary(
    session: Session,
    jurisdiction_id: int,
    year: int,
    *,
    published_only: bool = False,
    with_outliers: bool = True,
) -> DistrictSummary:
    """This year's sums beside last year's; the outliers unless `with_outliers` is False (a chart or
    the public page needs none: finding copied text is the costly part, ~1 s for 500 bodies)."""
    jurisdiction = session.get(Jurisdiction, jurisdiction_id)
    if jurisdiction is None:
        raise NotFound("找不到该辖区")
    fmt = format_for_year(year)
    reports = counted_reports(session, jurisdiction_id, year, published_only=published_only)
    last = counted_reports(session, jurisdiction_id, year - 1, published_only=published_only)
    return DistrictSummary(
        jurisdiction=jurisdiction.name,
        year=year,
        current=summarize(year, reports, fmt),
        previous=summarize(year - 1, last, fmt),
        outliers=find_outliers(reports, fmt) if with_outliers else [],
    )


def published_years(session: Session, jurisdiction_id: int) -> list[int]:
    """Years with at least one published report of the jurisdiction, newest first."""
    years = session.scalars(
        select(Season.report_year)
        .join(ReportRow, ReportRow.season_id == Season.id)
        .join(Body, Body.id == ReportRow.body_id)
        .join(Publication, Publication.report_id == ReportRow.id)
        .where(Body.jurisdiction_id == jurisdiction_id)
        .distinct()
    )
    return sorted(set(years), reverse=True)


def district_body_name(jurisdiction: Jurisdiction) -> str:
    return f"{jurisdiction.name}人民政府"


def find_district_body(session: Session, jurisdiction: Jurisdiction) -> Body | None:
    """The district government's own body: the county government of the jurisdiction (its own name first)."""
    bodies = list(
        session.scalars(
            select(Body)
            .where(
                Body.jurisdiction_id == jurisdiction.id,
                Body.body_type == BodyType.COUNTY_GOVERNMENT.value,
            )
            .order_by(Body.id)
        )
    )
    named = [b for b in bodies if b.name == district_body_name(jurisdiction)]
    found = named or bodies
    return found[0] if found else None


@transactional
def ensure_district_body(session: Session, *, jurisdiction_id: int, actor_id: int | None) -> int:
    jurisdiction = session.get(Jurisdiction, jurisdiction_id)
    if jurisdiction is None:
        raise NotFound("找不到该辖区")
    body = find_district_body(session, jurisdiction)
    if body is not None:
        return body.id
    body = Body(
        name=district_body_name(jurisdiction),
        code=f"district-government-{jurisdiction.id}",
        body_type=BodyType.COUNTY_GOVERNMENT.value,
        jurisdiction_id=jurisdiction.id,
    )
    session.add(body)
    session.flush()
    audit.record(session, "body.create", actor_id=actor_id, body_id=body.id, reason="district_summary")
    return body.id


def make_district_draft(session: Session, *, jurisdiction_id: int, year: int, actor_id: int | None) -> int:
    """Create or update the district government's own draft for `year`, pre-filled with the summary.

    Returns the report id.  A report already submitted (or further) is left alone: the office is told
    to take it back first.  What the office wrote in the draft apart from the tables and 总体情况 stays."""
    season = session.scalar(select(Season).where(Season.report_year == year))
    if season is None:
        raise NotFound(f"还没有设置 {year} 年度，请先在“年度与截止日期”中添加")
    summary = district_summary(session, jurisdiction_id, year, with_outliers=False).current
    session.rollback()  # end the read before the writes
    body_id = ensure_district_body(session, jurisdiction_id=jurisdiction_id, actor_id=actor_id)
    body = session.get(Body, body_id)
    assert body is not None
    existing = session.scalar(
        select(ReportRow).where(ReportRow.body_id == body_id, ReportRow.season_id == season.id)
    )
    if existing is None:
        content = district_draft(summary, body.name)
        session.rollback()
        return create_report(
            session, body_id=body_id, season_id=season.id, actor_id=actor_id, content=content
        )
    state = ReportState(existing.state)
    if state not in EDITABLE_STATES:
        raise InvalidTransition(
            f"{body.name}的本级报告当前为“{STATE_LABELS[state]}”，不能再用汇总数字覆盖；"
            "如需重新填入，请先让报告退回修改"
        )
    base = Report.from_dict(existing.draft) if existing.draft else None
    content = district_draft(summary, body.name, base=base)
    revision, report_id = existing.draft_revision, existing.id
    session.rollback()
    save_draft(session, report_id=report_id, content=content, expected_revision=revision, actor_id=actor_id)
    return report_id
