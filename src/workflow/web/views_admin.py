"""The district office: dashboard, status table download, bodies and users, seasons and deadlines,
sign-in throttles."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import Body, Extension, Jurisdiction, ReportRow, Season, SeasonDeadline, User
from workflow.db.session import begin_write
from workflow.domain.bodies import BodyType, infer_body_type
from workflow.services import audit, stuck, throttle
from workflow.services.accounts import password_problems
from workflow.services.errors import NotFound
from workflow.web import dashboard
from workflow.web.deps import DB, MAX_ID, AdminUser, Id, ReadDB
from workflow.web.security import hash_password
from workflow.web.views_common import flash, redirect, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form(max_length=200)]
NO_SEASON = "还没有设置报送年度，请先在“年度与截止日期”中添加。"
PAGE_SIZE = 200  # rows of the status table per page; the .xlsx has them all


def pick_season(db: Session, year: int | None) -> Season:
    q = select(Season).order_by(Season.report_year.desc())
    if year:
        q = select(Season).where(Season.report_year == year)
    season = db.scalars(q).first()
    if season is None:
        raise HTTPException(404, NO_SEASON)
    return season


def stuck_after(request: Request) -> timedelta:
    return timedelta(minutes=request.app.state.settings.dashboard_stuck_after_minutes)


@router.get("/admin")
def dashboard_page(
    request: Request,
    user: AdminUser,
    db: ReadDB,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    seasons = list(db.scalars(select(Season).order_by(Season.report_year.desc())))
    season = next((s for s in seasons if year is None or s.report_year == year), None)
    if season is None:
        raise HTTPException(404, NO_SEASON)
    threshold = stuck_after(request)
    view = request.app.state.status_cache.view(db, season, now().date(), stuck_after=threshold)
    status = status if status in dashboard.FILTER_LABELS else ""
    rows, rows_html = view.page(status, page, PAGE_SIZE)
    shown = len(view.chosen(status))
    ctx = {
        "season": season,
        "seasons": seasons,
        "rows": rows,
        "rows_html": rows_html,
        "status": status,
        "page": page,
        "pages": max(1, -(-shown // PAGE_SIZE)),
        "shown": shown,
        "total": len(view.rows),
        "counts": view.counts,
        "chart": view.chart,
        "statuses": dashboard.STATUSES,
        "flags": dashboard.FLAGS,
        "labels": dashboard.FILTER_LABELS,
        "stuck": view.stuck,
        "stuck_labels": stuck.LABELS,
        "stuck_minutes": round(threshold.total_seconds() / 60),
        "type_label": dashboard.body_type_label,
    }
    db.close()  # the connection goes back to the pool before the page is rendered
    return render(request, "admin/dashboard.html", ctx)


@router.post("/admin/reports/{report_id}/retry")
def retry_stuck(request: Request, report_id: Id, user: AdminUser, db: DB) -> Response:
    """Send a stuck report's check or publication again (the sweeper's task, through the outbox)."""
    try:
        done = stuck.retry(db, report_id=report_id, stuck_after=stuck_after(request), actor_id=user.id)
    except NotFound:
        flash(request, "没有找到这份报告（可能已被删除），请刷新总览后再看。", "error")
        return redirect("/admin#stuck")
    request.app.state.status_cache.forget()  # the next view shows the effect at once
    flash(request, done.message, "ok" if done.kind else "error")
    year = db.scalar(select(Season.report_year).join(ReportRow).where(ReportRow.id == report_id))
    return redirect(f"/admin?year={year}#stuck")


@router.get("/admin/status.xlsx")
def status_xlsx(request: Request, user: AdminUser, db: DB, year: int | None = None) -> Response:
    season = pick_season(db, year)
    today = now().date()
    rows = dashboard.season_status(db, season, today, stuck_after=stuck_after(request))
    details = dashboard.season_details(db, season)
    filename = f"status-{season.report_year}.xlsx"
    return Response(
        dashboard.xlsx(rows, season, details, today),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _bodies_context(db: Session) -> dict[str, object]:
    jurisdictions = list(db.scalars(select(Jurisdiction).order_by(Jurisdiction.name)))
    return {
        "bodies": list(db.scalars(select(Body).order_by(Body.code).limit(500))),
        "body_total": db.scalar(select(func.count(Body.id))),
        "users": list(db.scalars(select(User).order_by(User.username).limit(500))),
        "jurisdictions": jurisdictions,
        "jurisdiction_names": {j.id: j.name for j in jurisdictions},
        "body_types": list(BodyType),
        "user_form": {},
        "user_errors": {},
    }


@router.get("/admin/bodies")
def bodies_page(request: Request, user: AdminUser, db: DB) -> Response:
    return render(request, "admin/bodies.html", _bodies_context(db))


@router.post("/admin/bodies")
def add_body(
    request: Request,
    user: AdminUser,
    db: DB,
    name: Text,
    code: Text,
    jurisdiction_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    body_type: Annotated[str, Form()] = "",
    contact_email: Text = "",
) -> Response:
    btype = body_type or infer_body_type(name).value
    if btype not in BodyType._value2member_map_ or not name.strip() or not code.strip():
        flash(request, "请填写单位名称、编码并选择正确的单位类型。", "error")
        return redirect("/admin/bodies")
    body = Body(
        name=name.strip(),
        code=code.strip(),
        body_type=btype,
        jurisdiction_id=jurisdiction_id,
        contact_email=contact_email.strip(),
    )
    begin_write(db)
    db.add(body)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        flash(request, f"编码“{code}”已被使用或辖区不存在。", "error")
        return redirect("/admin/bodies")
    audit.record(db, "admin.body_add", actor_id=user.id, body_id=body.id, name=body.name)
    db.commit()
    flash(request, f"已添加单位：{body.name}")
    return redirect("/admin/bodies")


ROLES = ("submitter", "reviewer", "admin")


def _user_form_errors(db: Session, form: dict[str, str], password: str) -> dict[str, list[str]]:
    """What is wrong with the add-user form, field by field (shown beside each field)."""
    errors: dict[str, list[str]] = {}
    username, role = form["username"], form["role"]
    if not username:
        errors["username"] = ["请填写用户名（登录时用，例如单位拼音缩写）。"]
    elif len(username) > 80:
        errors["username"] = ["用户名最多 80 个字符，请改短一些。"]
    elif db.scalar(select(User.id).where(User.username == username)) is not None:
        errors["username"] = [f"用户名“{username}”已被使用，请换一个。"]
    if len(form["display_name"]) > 100:
        errors["display_name"] = ["姓名最多 100 个字符。"]
    if problems := password_problems(username, password):
        errors["password"] = problems
    if role not in ROLES:
        errors["role"] = ["请选择角色。"]
    elif role == "submitter" and not form["body_id"].isdigit():
        errors["body_id"] = ["报送人员必须属于一个单位，请选择单位。"]
    elif role == "reviewer" and not form["jurisdiction_id"].isdigit():
        errors["jurisdiction_id"] = ["审核人员必须属于一个辖区，请选择辖区。"]
    return errors


def _user_form_page(
    request: Request, db: Session, form: dict[str, str], errors: dict[str, list[str]]
) -> Response:
    """The page again, with each error beside its field and everything typed kept (except the password)."""
    ctx = _bodies_context(db) | {"user_form": form, "user_errors": errors}
    return render(request, "admin/bodies.html", ctx, status=422)


@router.post("/admin/users")
def add_user(
    request: Request,
    user: AdminUser,
    db: DB,
    username: Text = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    role: Text = "",
    display_name: Text = "",
    body_id: Text = "",
    jurisdiction_id: Text = "",
    review_stage: Text = "",
) -> Response:
    form = {
        "username": username.strip(),
        "display_name": display_name.strip(),
        "role": role,
        "body_id": body_id,
        "jurisdiction_id": jurisdiction_id,
        "review_stage": review_stage,
    }
    errors = _user_form_errors(db, form, password)
    db.commit()  # end the read: hashing (tens of ms) happens outside any transaction
    if errors:
        return _user_form_page(request, db, form, errors)
    new = User(
        username=form["username"],
        display_name=form["display_name"],
        password_hash=hash_password(password),
        role=role,
        body_id=int(body_id) if role == "submitter" else None,
        jurisdiction_id=int(jurisdiction_id) if role == "reviewer" else None,
        review_stage=review_stage or None,
    )
    begin_write(db)
    db.add(new)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        errors = {
            "username": [f"用户名“{form['username']}”已被使用，或所选单位、辖区已不存在，请检查后重试。"]
        }
        return _user_form_page(request, db, form, errors)
    audit.record(db, "admin.user_add", actor_id=user.id, username=new.username, role=role)
    db.commit()
    flash(request, f"已添加用户：{new.username}")
    return redirect("/admin/bodies")


@router.get("/admin/seasons")
def seasons_page(request: Request, user: AdminUser, db: DB) -> Response:
    seasons = list(db.scalars(select(Season).order_by(Season.report_year.desc())))
    exts = list(db.scalars(select(Extension).order_by(Extension.id.desc()).limit(200)))
    bodies = {b.id: b for b in db.scalars(select(Body).where(Body.id.in_({e.body_id for e in exts})))}
    ctx = {"seasons": seasons, "extensions": exts, "ext_bodies": bodies, "body_types": list(BodyType)}
    return render(request, "admin/seasons.html", ctx)


@router.post("/admin/seasons")
def add_season(
    request: Request,
    user: AdminUser,
    db: DB,
    report_year: Annotated[int, Form(ge=2008, le=2100)],
    internal_review_date: Annotated[date | None, Form()] = None,
) -> Response:
    season = Season(report_year=report_year, internal_review_date=internal_review_date)
    begin_write(db)
    db.add(season)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        flash(request, f"{report_year} 年度已存在。", "error")
        return redirect("/admin/seasons")
    audit.record(db, "admin.season_add", actor_id=user.id, year=report_year)
    db.commit()
    flash(request, f"已添加 {report_year} 年度。")
    return redirect("/admin/seasons")


@router.post("/admin/seasons/{season_id}/deadlines")
def set_deadline(
    request: Request,
    season_id: Id,
    user: AdminUser,
    db: DB,
    body_type: Annotated[str, Form()],
    due_date: Annotated[date, Form()],
    locality: Text = "",
) -> Response:
    if db.get(Season, season_id) is None or body_type not in BodyType._value2member_map_:
        raise HTTPException(404, "年度或单位类型不存在。")
    loc = locality.strip() or None
    begin_write(db)
    row = db.scalars(
        select(SeasonDeadline).where(
            SeasonDeadline.season_id == season_id,
            SeasonDeadline.body_type == body_type,
            SeasonDeadline.locality.is_(None) if loc is None else SeasonDeadline.locality == loc,
        )
    ).first()
    if row is None:
        db.add(SeasonDeadline(season_id=season_id, body_type=body_type, locality=loc, due_date=due_date))
    else:
        row.due_date = due_date
    audit.record(
        db,
        "admin.deadline_set",
        actor_id=user.id,
        season_id=season_id,
        body_type=body_type,
        locality=loc,
        due=due_date.isoformat(),
    )
    db.commit()
    flash(request, "截止日期已保存。")
    return redirect("/admin/seasons")


@router.post("/admin/seasons/{season_id}/extensions")
def grant_extension(
    request: Request,
    season_id: Id,
    user: AdminUser,
    db: DB,
    body_code: Text,
    new_due_date: Annotated[date, Form()],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    body = db.scalars(select(Body).where(Body.code == body_code.strip())).first()
    if db.get(Season, season_id) is None or body is None:
        flash(request, "年度或单位编码不存在。", "error")
        return redirect("/admin/seasons")
    if not reason.strip():
        flash(request, "延期必须填写理由。", "error")
        return redirect("/admin/seasons")
    begin_write(db)
    db.add(
        Extension(
            season_id=season_id,
            body_id=body.id,
            new_due_date=new_due_date,
            reason=reason.strip(),
            granted_by_id=user.id,
        )
    )
    audit.record(
        db,
        "admin.extension",
        actor_id=user.id,
        body_id=body.id,
        season_id=season_id,
        due=new_due_date.isoformat(),
        reason=reason.strip(),
    )
    db.commit()
    flash(request, f"已为{body.name}延期至 {new_due_date.isoformat()}。")
    return redirect("/admin/seasons")


SCOPE_LABELS = {
    throttle.ADDR: "同一地址（所有用户名）",
    throttle.PAIR: "某账户在某地址",
    throttle.NAME: "某账户（来自多个地址）",
}


@router.get("/admin/throttles")
def throttles_page(request: Request, user: AdminUser, db: DB) -> Response:
    policy = throttle.ThrottlePolicy.from_settings(request.app.state.settings)
    ctx = {
        "throttles": throttle.current(db, now(), policy),
        "scope_labels": SCOPE_LABELS,
        "policy": policy,
    }
    return render(request, "admin/throttles.html", ctx)


@router.post("/admin/throttles/lift")
def lift_throttle(request: Request, user: AdminUser, db: DB, key: Text = "") -> Response:
    lifted = throttle.lift(db, key, actor_id=user.id) if key else None
    if lifted is None:
        flash(request, "没有找到这条登录限制（可能已过期或已被解除），无需操作。", "error")
    else:
        who = "、".join(x for x in (lifted.username, lifted.address) if x)
        flash(request, f"已解除登录限制：{SCOPE_LABELS.get(lifted.scope, lifted.scope)} {who}。")
    return redirect("/admin/throttles")
