"""The public summary page: for every year with published reports, the district's summed national
tables and charts (published versions only; the outliers list stays with the office)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from workflow.exporters import summary_html
from workflow.portal import site
from workflow.services import summary as summary_service


@dataclass(frozen=True, slots=True)
class YearSummary:
    jurisdiction: str
    year: int
    count: int
    format_name: str
    charts: str
    breakdown: str
    tables: str
    anchor: str


def summaries(session: Session) -> list[YearSummary]:
    out: list[YearSummary] = []
    for jurisdiction in summary_service.jurisdictions(session):
        for year in summary_service.published_years(session, jurisdiction.id):
            result = summary_service.district_summary(
                session, jurisdiction.id, year, published_only=True, with_outliers=False
            )
            prefix = f"j{jurisdiction.id}-y{year}"
            out.append(
                YearSummary(
                    jurisdiction=jurisdiction.name,
                    year=year,
                    count=result.current.count,
                    format_name=result.current.spec.name,
                    charts=summary_html.charts_svg(
                        result.current, result.previous, id_prefix=prefix, width=360
                    ),
                    breakdown=summary_html.breakdown_html(result.current, id_prefix=prefix),
                    tables=summary_html.tables_html(result.current, result.previous, id_prefix=prefix),
                    anchor=prefix,
                )
            )
    return out


def page(session: Session, link: site.Linker) -> str:
    template = site.env().get_template("portal_summary.html")
    return str(template.render(link=link, summaries=summaries(session)))
