"""What the public portal shows, read from the database into plain objects (one query per page)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from workflow.db.models import Body, Jurisdiction, Publication, ReportRow, ReportVersion, Season
from workflow.domain.bodies import BODY_TYPE_LABELS, BodyType
from workflow.domain.model import Report


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    publication_id: int
    report_id: int
    version_id: int
    number: int  # the report version number (第n版)
    published_at: datetime
    first_published_at: datetime
    correction_note: str | None
    artifacts: dict[str, Any]
    edition: int = 1  # which publication of the report this is (1: the first), whatever the version number

    @property
    def path(self) -> str:
        return f"reports/{self.report_id}/v{self.number}/"

    @property
    def wording(self) -> str:
        """How the portal names this publication: 首次发布, or 第2版（更正）：<the note>."""
        if self.edition == 1:
            return "首次发布"
        note = f"：{self.correction_note}" if self.correction_note else ""
        return f"第{self.edition}版（更正）{note}"

    @property
    def edition_label(self) -> str:
        return "首次发布" if self.edition == 1 else f"第{self.edition}版（更正）"


@dataclass(slots=True)
class PublishedReport:
    report_id: int
    body_id: int
    body_name: str
    body_type: str
    year: int
    versions: list[PublishedVersion] = field(default_factory=list)  # oldest first

    @property
    def latest(self) -> PublishedVersion:
        return self.versions[-1]

    @property
    def first_published_at(self) -> datetime:
        return self.versions[0].first_published_at

    @property
    def corrected(self) -> bool:
        return len(self.versions) > 1

    @property
    def title(self) -> str:
        return f"{self.body_name}{self.year}年政府信息公开工作年度报告"

    @property
    def type_label(self) -> str:
        return body_type_label(self.body_type)

    @property
    def path(self) -> str:
        return f"reports/{self.report_id}/"

    @property
    def body_path(self) -> str:
        return f"bodies/{self.body_id}/"


def body_type_label(value: str) -> str:
    try:
        return BODY_TYPE_LABELS[BodyType(value)]
    except ValueError:
        return value


def _base() -> Select[Any]:
    return (
        select(
            Publication,
            ReportVersion.number,
            ReportRow.body_id,
            Body.name,
            Body.body_type,
            Season.report_year,
        )
        .join(ReportVersion, ReportVersion.id == Publication.version_id)
        .join(ReportRow, ReportRow.id == Publication.report_id)
        .join(Body, Body.id == ReportRow.body_id)
        .join(Season, Season.id == ReportRow.season_id)
        .order_by(Season.report_year.desc(), Body.name, Publication.report_id, Publication.published_at)
    )


def _collect(rows: Any) -> list[PublishedReport]:
    reports: dict[int, PublishedReport] = {}
    for pub, number, body_id, body_name, body_type, year in rows:
        entry = reports.get(pub.report_id)
        if entry is None:
            entry = reports[pub.report_id] = PublishedReport(
                pub.report_id, body_id, body_name, body_type, year
            )
        entry.versions.append(
            PublishedVersion(
                pub.id,
                pub.report_id,
                pub.version_id,
                number,
                pub.published_at,
                pub.first_published_at,
                pub.correction_note,
                dict(pub.artifacts or {}),
                len(entry.versions) + 1,
            )
        )
    return list(reports.values())


def all_published(session: Session) -> list[PublishedReport]:
    """Every published report, newest year first, bodies by name."""
    return _collect(session.execute(_base()).all())


def published_in_year(session: Session, year: int) -> list[PublishedReport]:
    return _collect(session.execute(_base().where(Season.report_year == year)).all())


def published_report(session: Session, report_id: int) -> PublishedReport | None:
    found = _collect(session.execute(_base().where(Publication.report_id == report_id)).all())
    return found[0] if found else None


def body_reports(session: Session, body_id: int) -> tuple[Body | None, list[PublishedReport]]:
    body = session.get(Body, body_id)
    return body, _collect(session.execute(_base().where(ReportRow.body_id == body_id)).all())


def search_bodies(session: Session, q: str) -> list[PublishedReport]:
    """Published reports whose body name contains every word of `q` (blank: all)."""
    stmt = _base()
    for word in q.split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Body.name.like(f"%{escaped}%", escape="\\"))
    return _collect(session.execute(stmt).all())


def district_name(session: Session) -> str:
    """The district the portal publishes for: the area most published reports' bodies belong to,
    else the first top-level area; "" before any is set up."""
    rows = session.execute(
        select(Jurisdiction.id, Jurisdiction.name, Jurisdiction.parent_id, func.count(Publication.id))
        .join(Body, Body.jurisdiction_id == Jurisdiction.id)
        .join(ReportRow, ReportRow.body_id == Body.id)
        .join(Publication, Publication.report_id == ReportRow.id)
        .group_by(Jurisdiction.id, Jurisdiction.name, Jurisdiction.parent_id)
        .order_by(func.count(Publication.id).desc(), Jurisdiction.id)
        .limit(1)
    ).first()
    if rows is None:
        name = session.scalar(
            select(Jurisdiction.name)
            .where(Jurisdiction.parent_id.is_(None))
            .order_by(Jurisdiction.id)
            .limit(1)
        )
        return name or ""
    return str(rows[1])


def filter_reports(
    reports: list[PublishedReport], *, q: str = "", year: int | None = None, body_type: str = ""
) -> list[PublishedReport]:
    """The portal's search: body name containing every word of `q`, the year, the body type."""
    words = q.split()
    return [
        r
        for r in reports
        if all(w in r.body_name for w in words)
        and (year is None or r.year == year)
        and (not body_type or r.body_type == body_type)
    ]


def version_content(session: Session, version_id: int) -> Report:
    version = session.get(ReportVersion, version_id)
    assert version is not None
    return Report.from_dict(version.content)
