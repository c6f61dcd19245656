"""The district's summary (汇总) for the office: the page, its .xlsx, the dashboard's chart and the
button that pre-fills the district government's own report (issue #16.3).

Administrators see every jurisdiction (one at a time); a reviewer sees the summary of their own
jurisdiction.  Only the administrator creates the district government's draft.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.db.models import Jurisdiction, ReportRow, Season, User
from workflow.domain.summary import OUTLIER_KIND_LABELS, type_label
from workflow.exporters import summary_html
from workflow.exporters.summary_xlsx import summary_workbook
from workflow.services import summary as summary_service
from workflow.services.errors import ServiceError
from workflow.web.deps import DB, AdminUser, ReadDB, ReviewerUser
from workflow.web.views_common import flash, redirect, render

router = APIRouter(include_in_schema=False)
YearQ = Annotated[int | None, Query(ge=2000, le=2100)]
JurisdictionQ = Annotated[int | None, Query(ge=1, le=2**31 - 1)]
NO_SEASON = "还没有设置报送年度，请先在“年度与截止日期”中添加。"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _jurisdiction(db: Session, user: User, wanted: int | None) -> Jurisdiction:
    """The reviewer's own jurisdiction; for the administrator the one asked for, else the first."""
    if user.role != "admin":
        found = db.get(Jurisdiction, user.jurisdiction_id) if user.jurisdiction_id else None
        if found is None or (wanted is not None and wanted != found.id):
            raise HTTPException(403, "您只能查看本辖区的汇总")
        return found
    if wanted is not None:
        found = db.get(Jurisdiction, wanted)
        if found is None:
            raise HTTPException(404, "找不到该辖区，请从汇总页的辖区列表中选择")
        return found
    first = db.scalars(select(Jurisdiction).order_by(Jurisdiction.id)).first()
    if first is None:
        raise HTTPException(404, "还没有辖区，请先在“单位与用户”中添加单位")
    return first


def _year(db: Session, year: int | None) -> tuple[int, list[int]]:
    years = list(db.scalars(select(Season.report_year).order_by(Season.report_year.desc())))
    if not years:
        raise HTTPException(404, NO_SEASON)
    if year is None:  # the latest year with an approved report, else the latest season
        counted = db.scalar(
            select(func.max(Season.report_year))
            .join(ReportRow, ReportRow.season_id == Season.id)
            .where(ReportRow.state.in_(summary_service.COUNTED_STATES))
        )
        return (counted or years[0]), years
    if year not in years:
        raise HTTPException(404, f"还没有设置 {year} 年度，请从年度列表中选择")
    return year, years


@router.get("/admin/summary")
def summary_page(
    request: Request, user: ReviewerUser, db: ReadDB, year: YearQ = None, j: JurisdictionQ = None
) -> Response:
    jurisdiction = _jurisdiction(db, user, j)
    chosen, years = _year(db, year)
    result = summary_service.district_summary(db, jurisdiction.id, chosen)
    ctx = {
        "jurisdiction": jurisdiction,
        "jurisdictions": summary_service.jurisdictions(db) if user.role == "admin" else [],
        "year": chosen,
        "years": years,
        "result": result,
        "tables_html": summary_html.tables_html(result.current, result.previous),
        "breakdown_html": summary_html.breakdown_html(result.current),
        "charts_html": summary_html.charts_svg(result.current, result.previous),
        "outliers": result.outliers,
        "kind_labels": OUTLIER_KIND_LABELS,
        "type_label": type_label,
        "district_body": summary_service.district_body_name(jurisdiction),
        "query": f"year={chosen}&j={jurisdiction.id}",
    }
    return render(request, "admin/summary.html", ctx)


@router.get("/admin/summary.xlsx")
def summary_xlsx(user: ReviewerUser, db: ReadDB, year: YearQ = None, j: JurisdictionQ = None) -> Response:
    jurisdiction = _jurisdiction(db, user, j)
    chosen, _ = _year(db, year)
    result = summary_service.district_summary(db, jurisdiction.id, chosen)
    data = summary_workbook(result.jurisdiction, result.current, result.previous, result.outliers)
    name = f"{jurisdiction.name}{chosen}年度政府信息公开工作年度报告汇总.xlsx"
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=\"summary-{chosen}.xlsx\"; filename*=UTF-8''{quote(name)}"
        },
    )


@router.get("/admin/summary/chart.svg")
def summary_chart(user: ReviewerUser, db: ReadDB, year: YearQ = None, j: JurisdictionQ = None) -> Response:
    """The requests-per-body-type chart alone, for the dashboard (an <img>)."""
    jurisdiction = _jurisdiction(db, user, j)
    chosen, _ = _year(db, year)
    result = summary_service.district_summary(db, jurisdiction.id, chosen, with_outliers=False)
    svg = summary_html.requests_chart(result.current, result.previous, chart_id="dashboard-summary")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=60"})


@router.post("/admin/summary/draft")
def summary_draft(
    request: Request,
    user: AdminUser,
    db: DB,
    year: Annotated[int, Form(ge=2000, le=2100)],
    j: Annotated[int, Form(ge=1, le=2**31 - 1)],
) -> Response:
    back = f"/admin/summary?year={year}&j={j}"
    try:
        report_id = summary_service.make_district_draft(db, jurisdiction_id=j, year=year, actor_id=user.id)
    except ServiceError as exc:
        flash(request, f"{exc}", "error")
        return redirect(back)
    flash(request, "已按汇总数字生成本级报告草稿：表二、表三、表四和“总体情况”已填好，请补充其余内容后提交。")
    return redirect(f"/reports/{report_id}/edit")
