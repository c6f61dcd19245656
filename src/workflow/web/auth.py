"""Sign-in and sign-out: argon2 passwords, failed-login backoff kept in the users table, audit events."""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import AuditEvent, User
from workflow.db.session import begin_write
from workflow.web.deps import DB, MaybeUser, PageUser
from workflow.web.security import (
    csrf_token,
    hash_password,
    lock_for,
    minutes_left,
    require_csrf,
    verify_password,
)

router = APIRouter()
# Verified against when the username is unknown, so both answers take the same time.
_DUMMY_HASH = hash_password("not-a-real-password")
HOME = {"submitter": "/reports", "reviewer": "/review", "admin": "/admin"}


def safe_next(target: str | None) -> str:
    """Only local paths: never redirect a signed-in user to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return ""


def _login_page(request: Request, *, error: str = "", next_: str = "", stash: str = "", status: int = 200):
    templates = request.app.state.templates
    ctx = {"error": error, "next": next_, "stash": stash, "expired": bool(stash)}
    return templates.TemplateResponse(request, "auth/login.html", ctx, status_code=status)


@router.get("/login", include_in_schema=False)
def login_form(request: Request, user: MaybeUser, next: str = "", stash: str = "") -> Response:
    if user is not None and not stash:
        return RedirectResponse(safe_next(next) or HOME[user.role], 303)
    return _login_page(request, next_=safe_next(next), stash=stash)


def _audit(db: Session, action: str, user: User | None, **details: object) -> None:
    db.add(
        AuditEvent(
            actor_id=user.id if user else None,
            action=action,
            body_id=user.body_id if user else None,
            details=dict(details),
        )
    )


def _check_password(db: Session, username: str, password: str) -> tuple[User | None, str]:
    """The user if the password is right; otherwise an error message (and the failure is counted).

    The password is checked (argon2: tens of ms of CPU) with no transaction open; only the counters and
    the audit event are written, in one short write transaction that the caller commits."""
    found = db.scalars(select(User).where(User.username == username)).first()
    db.commit()  # end the read
    if found is None or not found.is_active:
        verify_password(_DUMMY_HASH, password)
        begin_write(db)
        _audit(db, "login_failed", None, username=username[:80])
        return None, "用户名或密码错误。"
    at = now()
    if found.locked_until and found.locked_until > at:
        begin_write(db)
        _audit(db, "login_locked", found)
        return (
            None,
            f"登录失败次数过多，账户已暂时锁定，请 {minutes_left(found.locked_until, at)} 分钟后再试。",
        )
    right = verify_password(found.password_hash, password)
    begin_write(db)
    user = db.get(User, found.id, populate_existing=True)
    if user is None:
        return None, "用户名或密码错误。"
    if not right:
        user.failed_logins += 1
        lock = lock_for(user.failed_logins)
        user.locked_until = at + lock if lock else None
        _audit(db, "login_failed", user, failures=user.failed_logins)
        if lock:
            return None, f"登录失败次数过多，账户已暂时锁定，请 {minutes_left(at + lock, at)} 分钟后再试。"
        return None, "用户名或密码错误。"
    if user.failed_logins or user.locked_until:
        user.failed_logins = 0
        user.locked_until = None
    _audit(db, "login", user)
    return user, ""


@router.post("/login", include_in_schema=False, dependencies=[Depends(require_csrf)])
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form()] = "",
    stash: Annotated[str, Form()] = "",
) -> Response:
    user, error = _check_password(db, username.strip(), password)
    db.commit()
    if user is None:
        return _login_page(request, error=error, next_=safe_next(next), stash=stash, status=401)
    request.session.clear()  # a fresh session on sign-in (no fixation)
    # ... with its CSRF token: the pages that follow find the cookie complete and need not rewrite it.
    request.session.update({"uid": user.id, "seen": time.time()})
    csrf_token(request)
    request.app.state.users.forget(user.id)  # signing in re-reads the user
    target = safe_next(next) or HOME[user.role]
    if stash:
        target += ("&" if "?" in target else "?") + "restore=" + quote(stash)
    return RedirectResponse(target, 303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, user: PageUser, db: DB) -> Response:
    begin_write(db)
    _audit(db, "logout", user)
    db.commit()
    request.session.clear()
    return RedirectResponse("/login", 303)
