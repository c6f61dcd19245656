"""The account page (every signed-in user) and the administrator's view of one user (issue #13).

我的账户: change one's own password, see where one is signed in, "sign out everywhere", and personal API
tokens (create — shown once —, list, revoke).  The administrator's user page: enable or disable the
user, change their role and scope, end their sessions, revoke their tokens.  Every change that must end
sessions goes through workflow.services.accounts, which ends them in the same transaction; this process
then drops its cached copies at once (workflow.web.sessions.forget_user).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import Body, Jurisdiction, User
from workflow.db.session import begin_write
from workflow.services import accounts, audit, throttle
from workflow.services import sessions as session_rows
from workflow.services import tokens as token_rows
from workflow.services.errors import ServiceError
from workflow.web import sessions as sessions_web
from workflow.web.deps import DB, MAX_ID, AdminUser, Id, PageUser, ReadDB
from workflow.web.security import client_address, verify_password
from workflow.web.views_common import flash, pop_flash, redirect

router = APIRouter(include_in_schema=False)
ROLE_LABELS = {"submitter": "报送人员", "reviewer": "审核人员", "admin": "政务公开办管理员"}
TOKEN_DAYS = (7, 30, 90, 180, 365)
Secret = Annotated[str, Form(max_length=accounts.MAX_PASSWORD_LENGTH)]


def _days_choices(request: Request) -> list[int]:
    most = int(request.app.state.settings.api_token_max_days)
    return [d for d in TOKEN_DAYS if d <= most] or [most]


def _account_page(
    request: Request,
    db: Session,
    user: User,
    *,
    errors: dict[str, str] | None = None,
    new_token: str = "",
    token_form: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    signin = sessions_web.current_signin(request)
    ctx = {
        **pop_flash(request),
        "me": user,
        "role_label": ROLE_LABELS.get(user.role, user.role),
        "sessions": session_rows.of_user(db, user.id),
        "this_session": signin.session_id if signin else None,
        "tokens": token_rows.of_user(db, user.id),
        "now": now(),
        "errors": errors or {},
        "new_token": new_token,
        "token_form": token_form or {"name": "", "days": 90},
        "days_choices": _days_choices(request),
    }
    db.close()
    response = request.app.state.templates.TemplateResponse(
        request, "account/index.html", ctx, status_code=status
    )
    response.headers["Cache-Control"] = "no-store"  # a new token is on it once, and never again
    return response


@router.get("/account")
def account_page(request: Request, user: PageUser, db: ReadDB) -> Response:
    return _account_page(request, db, user)


@router.post("/account/password")
def change_password(
    request: Request,
    user: PageUser,
    db: DB,
    current_password: Secret = "",
    new_password: Secret = "",
    confirm_password: Secret = "",
) -> Response:
    """A new password ends every session of the user (a stolen cookie included); this browser gets a
    new session so the person who changed it stays signed in."""
    row = db.get(User, user.id)
    if row is None:
        raise HTTPException(404, "用户不存在。")
    # Guessing the current password here is throttled like signing in (the same counters): a stolen
    # session cannot be used to try passwords at argon2 speed.
    at, address = now(), client_address(request)
    policy = throttle.ThrottlePolicy.from_settings(request.app.state.settings)
    wait = throttle.wait_before_check(db, row.username, address, at, policy)
    db.commit()
    if wait:
        refused = {"current_password": f"尝试次数过多，请稍候 {wait} 秒后再试。"}
        return _account_page(request, db, user, errors=refused, status=429)
    errors: dict[str, str] = {}
    if not verify_password(row.password_hash, current_password):
        begin_write(db)
        wait = throttle.record_failure(db, row.username, address, at, policy)
        audit.record(db, "password_change_failed", actor_id=user.id, body_id=user.body_id)
        db.commit()
        errors["current_password"] = "当前密码不正确，请重新输入。" + (
            f"尝试次数过多，请稍候 {wait} 秒后再试。" if wait else ""
        )
    problems = accounts.password_problems(row.username, new_password)
    if problems:
        errors["new_password"] = "".join(problems)
    elif new_password != confirm_password:
        errors["confirm_password"] = "两次输入的新密码不一致，请重新输入。"
    elif new_password == current_password:
        errors["new_password"] = "新密码不能与当前密码相同，请换一个。"
    if errors:
        return _account_page(request, db, user, errors=errors, status=422)
    new_hash = accounts.hash_password(new_password)  # slow: before the write transaction
    ended = accounts.set_password(db, user_id=user.id, password_hash=new_hash, actor_id=user.id)
    sessions_web.forget_user(request, user.id)
    begin_write(db)
    key = sessions_web.start(db, request, user.id)
    db.commit()
    others = max(0, ended - 1)
    flash(request, "密码已修改。" + (f"其他 {others} 处登录已退出，需用新密码重新登录。" if others else ""))
    response = redirect("/account")
    sessions_web.set_cookie(request, response, key)
    return response


@router.post("/account/signout-all")
def sign_out_everywhere(request: Request, user: PageUser, db: DB) -> Response:
    """Ends every session of the user, on every computer, this one included."""
    accounts.sign_out_everywhere(db, user_id=user.id, actor_id=user.id)
    sessions_web.forget_user(request, user.id)
    request.session.clear()
    response = redirect("/login")
    sessions_web.clear_cookie(request, response)
    return response


@router.post("/account/tokens")
def create_token(
    request: Request,
    user: PageUser,
    db: DB,
    name: Annotated[str, Form(max_length=token_rows.NAME_MAX)] = "",
    days: Annotated[int, Form(ge=1, le=3650)] = 90,
) -> Response:
    form = {"name": name, "days": days}
    try:
        created = token_rows.create(
            db, user_id=user.id, name=name, days=days, max_days=request.app.state.settings.api_token_max_days
        )
    except ServiceError as exc:
        return _account_page(
            request, db, user, errors={"token": exc.message}, token_form=form, status=exc.code
        )
    return _account_page(request, db, user, new_token=created.token)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    token_id: Id,
    user: PageUser,
    db: DB,
    back: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """The owner revokes their token; an administrator may revoke anybody's."""
    try:
        row = token_rows.revoke(db, token_id=token_id, actor=user)
    except ServiceError as exc:
        raise HTTPException(exc.code, exc.message) from None
    request.app.state.tokens.forget_token(row.id)
    flash(request, f"令牌“{row.name}”已撤销，使用它的程序将无法再访问。")
    target = back if user.role == "admin" and back.startswith("/admin/") and "//" not in back else "/account"
    return redirect(target)


# --- the administrator's view of one user ------------------------------------------------------


def _other_user(db: Session, user_id: int) -> User:
    row = db.get(User, user_id)
    if row is None:
        raise HTTPException(404, "用户不存在。")
    return row


@router.get("/admin/users/{user_id}")
def admin_user_page(request: Request, user_id: Id, user: AdminUser, db: ReadDB) -> Response:
    other = _other_user(db, user_id)
    ctx = {
        **pop_flash(request),
        "other": other,
        "body": db.get(Body, other.body_id) if other.body_id else None,
        "role_labels": ROLE_LABELS,
        "jurisdictions": list(db.scalars(select(Jurisdiction).order_by(Jurisdiction.name))),
        "sessions": session_rows.of_user(db, other.id),
        "tokens": token_rows.of_user(db, other.id),
        "now": now(),
    }
    db.close()
    return request.app.state.templates.TemplateResponse(request, "account/admin_user.html", ctx)


@router.get("/admin/tokens")
def admin_tokens_page(request: Request, user: AdminUser, db: ReadDB) -> Response:
    ctx = {**pop_flash(request), "rows": token_rows.all_tokens(db), "now": now()}
    db.close()
    return request.app.state.templates.TemplateResponse(request, "account/admin_tokens.html", ctx)


def _admin_change(request: Request, target: int, done: str, fn: Any, /, **kwargs: Any) -> Response:
    try:
        fn(**kwargs)
    except ServiceError as exc:
        flash(request, exc.message, "error")
    else:
        sessions_web.forget_user(request, target)
        flash(request, done)
    return redirect(f"/admin/users/{target}")


@router.post("/admin/users/{user_id}/active")
def admin_set_active(
    request: Request, user_id: Id, user: AdminUser, db: DB, active: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    """Disabling ends the user's sessions and revokes their API tokens (workflow.services.accounts)."""
    if active not in ("0", "1"):
        flash(request, "请选择启用或停用。", "error")
        return redirect(f"/admin/users/{user_id}")
    _other_user(db, user_id)
    db.commit()
    done = "已启用该用户。" if active == "1" else "已停用该用户：其所有登录已退出，API 令牌已撤销。"
    return _admin_change(
        request,
        user_id,
        done,
        accounts.set_active,
        session=db,
        user_id=user_id,
        active=active == "1",
        actor_id=user.id,
    )


@router.post("/admin/users/{user_id}/role")
def admin_set_role(
    request: Request,
    user_id: Id,
    user: AdminUser,
    db: DB,
    role: Annotated[str, Form(max_length=20)] = "",
    body_code: Annotated[str, Form(max_length=64)] = "",
    jurisdiction_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    review_stage: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """A changed role or scope ends the user's sessions and revokes their API tokens."""
    _other_user(db, user_id)
    body = (
        db.scalars(select(Body).where(Body.code == body_code.strip())).first() if body_code.strip() else None
    )
    db.commit()
    if role == "submitter" and body is None:
        flash(request, f"单位编码“{body_code.strip()}”不存在，请检查后重新填写。", "error")
        return redirect(f"/admin/users/{user_id}")
    return _admin_change(
        request,
        user_id,
        "角色已保存；如有变化，该用户的登录已全部退出、API 令牌已撤销。",
        accounts.set_role,
        session=db,
        user_id=user_id,
        role=role,
        body_id=body.id if body else None,
        jurisdiction_id=jurisdiction_id,
        review_stage=review_stage.strip() or None,
        actor_id=user.id,
    )


@router.post("/admin/users/{user_id}/signout")
def admin_sign_out(request: Request, user_id: Id, user: AdminUser, db: DB) -> Response:
    _other_user(db, user_id)
    db.commit()
    return _admin_change(
        request,
        user_id,
        "该用户在所有设备上的登录已退出。",
        accounts.sign_out_everywhere,
        session=db,
        user_id=user_id,
        actor_id=user.id,
    )
