"""Sign-in and sign-out: argon2 passwords, sign-in throttling (workflow.services.throttle), audit events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import now
from workflow.db.models import User
from workflow.db.session import begin_write
from workflow.services import audit, throttle
from workflow.services import sessions as session_rows
from workflow.web import sessions as sessions_web
from workflow.web.deps import DB, MaybeUser, PageUser
from workflow.web.security import (
    client_address,
    hash_password,
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


def _login_page(request: Request, *, error: str = "", next_: str = "", status: int = 200):
    templates = request.app.state.templates
    ctx = {"error": error, "next": next_}
    return templates.TemplateResponse(request, "auth/login.html", ctx, status_code=status)


@router.get("/login", include_in_schema=False)
def login_form(request: Request, user: MaybeUser, next: str = "") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next) or HOME[user.role], 303)
    return _login_page(request, next_=safe_next(next))


def _audit(db: Session, action: str, user: User | None, **details: object) -> None:
    audit.record(
        db, action, actor_id=user.id if user else None, body_id=user.body_id if user else None, **details
    )


WRONG = "用户名或密码错误。"


def wait_message(seconds: int) -> str:
    return f"尝试次数过多，请稍候 {seconds} 秒后再试。"


def _check_password(
    db: Session, username: str, password: str, address: str, policy: throttle.ThrottlePolicy
) -> tuple[User | None, str]:
    """The user if the password is right; otherwise an error message (and the failure is counted).

    Throttled (workflow.services.throttle: per address, per account and address, and a short wait for
    new addresses on an account under attack): an attempt inside a wait is answered without checking
    the password.  Known and unknown names get the same answers, after the same argon2 work.  The
    password is checked (tens of ms of CPU) with no transaction open; the throttle counters and the
    audit event are written in one short write transaction that the caller commits."""
    at = now()
    wait = throttle.wait_before_check(db, username, address, at, policy)
    if wait:
        return None, wait_message(wait)
    found = db.scalars(select(User).where(User.username == username)).first()
    db.commit()  # end the read
    if found is not None and found.is_active:
        right = verify_password(found.password_hash, password)
    else:
        found, right = None, verify_password(_DUMMY_HASH, password) and False
    begin_write(db)
    if found is None or not right:
        wait = throttle.record_failure(db, username, address, at, policy)
        _audit(db, "login_failed", found, username=username[:80], address=address)
        return None, WRONG + (wait_message(wait) if wait else "")
    throttle.record_success(db, username, address, at)
    _audit(db, "login", found, address=address)
    return found, ""


@router.post("/login", include_in_schema=False, dependencies=[Depends(require_csrf)])
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    policy = throttle.ThrottlePolicy.from_settings(request.app.state.settings)
    user, error = _check_password(db, username.strip(), password, client_address(request), policy)
    if user is None:
        db.commit()
        return _login_page(request, error=error, next_=safe_next(next), status=401)
    # A new server-side session with a new random key (no fixation), in the same write transaction
    # as the sign-in's audit event; a session this browser still had ends.
    old = sessions_web.cookie_key(request)
    if old is not None:
        session_rows.end(db, session_rows.key_hash(old))
    key = sessions_web.start(db, request, user.id)
    db.commit()
    if old is not None:
        request.app.state.users.forget(session_rows.key_hash(old))
    request.session.clear()  # the signed cookie keeps nothing of the anonymous visit
    response = RedirectResponse(safe_next(next) or HOME[user.role], 303)
    sessions_web.set_cookie(request, response, key)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, user: PageUser, db: DB) -> Response:
    """Ends this browser's session: its row is deleted, so the cookie is worth nothing afterwards."""
    signin = sessions_web.current_signin(request)
    begin_write(db)
    if signin is not None:
        session_rows.end(db, signin.key_hash)
    _audit(db, "logout", user)
    db.commit()
    if signin is not None:
        request.app.state.users.forget(signin.key_hash)
    request.session.clear()
    response = RedirectResponse("/login", 303)
    sessions_web.clear_cookie(request, response)
    return response
