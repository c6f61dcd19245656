"""Request-scoped pieces: the database session, who is signed in, and what they may see.

Every page and API route takes one of `page_user` / `api_user` (or `optional_user` for the few
public pages); roles and scopes are checked by the helpers below, never by hiding links.
"""

import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from workflow.db.models import Body, ReportRow, User
from workflow.web.security import SAFE_METHODS, require_csrf, require_csrf_header

ROLES = ("submitter", "reviewer", "admin")
MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer never exist: refuse them before the database sees them
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class LoginRequired(Exception):
    """No (or an expired) session on a page: the handler sends the browser to the login page."""


class Forbidden(HTTPException):
    def __init__(self, message: str = "您没有权限访问此页面。") -> None:
        super().__init__(403, message)


def get_db(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session


DB = Annotated[Session, Depends(get_db)]


def _session_user(request: Request, db: Session) -> User | None:
    uid = request.session.get("uid")
    if not uid:
        return None
    idle = request.app.state.idle_seconds
    seen = float(request.session.get("seen", 0))
    now = time.time()
    if now - seen > idle:
        request.session.pop("uid", None)
        return None
    user = db.get(User, int(uid))
    # End the read transaction: the connection goes back to the pool while this request waits for a
    # worker thread (otherwise 50 waiting requests hold 50 connections and starve the pool).
    db.commit()
    if user is None or not user.is_active:
        request.session.pop("uid", None)
        return None
    if now - seen > 60:  # refresh the idle clock at most once a minute (fewer cookie rewrites)
        request.session["seen"] = now
    request.state.user = user
    return user


# The database is only touched in sync dependencies (run in the thread pool); the async ones below
# check the CSRF token and never block the event loop.
def _page_session_user(request: Request, db: DB) -> User:
    user = _session_user(request, db)
    if user is None:
        raise LoginRequired()
    return user


def _api_session_user(request: Request, db: DB) -> User:
    user = _session_user(request, db)
    if user is None:
        raise HTTPException(401, "未登录或登录已过期，请先登录。")
    return user


async def page_user(request: Request, user: Annotated[User, Depends(_page_session_user)]) -> User:
    await require_csrf(request)
    return user


async def api_user(request: Request, user: Annotated[User, Depends(_api_session_user)]) -> User:
    if request.method not in SAFE_METHODS:
        await require_csrf_header(request)
    return user


async def posted_form(request: Request) -> FormData:
    """The urlencoded form, read on the event loop, so the endpoint itself can be sync."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted_form)]


def optional_user(request: Request, db: DB) -> User | None:
    return _session_user(request, db)


PageUser = Annotated[User, Depends(page_user)]
ApiUser = Annotated[User, Depends(api_user)]
MaybeUser = Annotated[User | None, Depends(optional_user)]


def require_role(user: User, *roles: str) -> None:
    if user.role not in roles:
        raise Forbidden()


def can_see_body(user: User, body: Body) -> bool:
    if user.role == "admin":
        return True
    if user.role == "submitter":
        return user.body_id == body.id
    return user.role == "reviewer" and user.jurisdiction_id == body.jurisdiction_id


def report_for(db: Session, user: User, report_id: int, *, edit: bool = False) -> ReportRow:
    """The report if `user` may see it (and edit it, when `edit`): 404 for unknown, 403 for others'."""
    report = db.get(ReportRow, report_id) if 1 <= report_id <= MAX_ID else None
    if report is None:
        raise HTTPException(404, "报告不存在。")
    if not can_see_body(user, report.body):
        raise Forbidden("这份报告不属于您的单位或辖区，您无权查看。")
    if edit and user.role not in ("submitter", "admin"):
        raise Forbidden("只有报送单位可以修改报告。")
    return report


def reviewer_for(db: Session, user: User, report_id: int) -> ReportRow:
    require_role(user, "reviewer", "admin")
    return report_for(db, user, report_id)


# Role and scope checks as dependencies: they run before the request body is validated, so a user
# without the right gets 403 whatever they post (never a 422 that leaks the form's shape).
def _role(user_dep: Any, *roles: str) -> Any:
    async def dep(user: Annotated[User, Depends(user_dep)]) -> User:
        require_role(user, *roles)
        return user

    return dep


def _report(user_dep: Any, mode: str) -> Any:
    def dep(report_id: Id, user: Annotated[User, Depends(user_dep)], db: DB) -> ReportRow:
        report = (
            reviewer_for(db, user, report_id)
            if mode == "review"
            else report_for(db, user, report_id, edit=mode == "write")
        )
        db.commit()  # hand the connection back before the endpoint waits for a thread
        return report

    return dep


SubmitterUser = Annotated[User, Depends(_role(page_user, "submitter"))]
ReviewerUser = Annotated[User, Depends(_role(page_user, "reviewer", "admin"))]
AdminUser = Annotated[User, Depends(_role(page_user, "admin"))]
ApiReviewer = Annotated[User, Depends(_role(api_user, "reviewer", "admin"))]
ApiAdmin = Annotated[User, Depends(_role(api_user, "admin"))]
ReadReport = Annotated[ReportRow, Depends(_report(page_user, "read"))]
WriteReport = Annotated[ReportRow, Depends(_report(page_user, "write"))]
ReviewReport = Annotated[ReportRow, Depends(_report(page_user, "review"))]
ApiReadReport = Annotated[ReportRow, Depends(_report(api_user, "read"))]
ApiWriteReport = Annotated[ReportRow, Depends(_report(api_user, "write"))]
ApiReviewReport = Annotated[ReportRow, Depends(_report(api_user, "review"))]
