"""Request-scoped pieces: the database session, who is signed in, and what they may see.

Every page and API route takes one of `page_user` / `api_user` (or `optional_user` for the few
public pages); roles and scopes are checked by the helpers below, never by hiding links.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import BackgroundTasks, Depends, HTTPException, Path, Request
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, defer, joinedload, sessionmaker
from starlette.datastructures import FormData

from workflow.db.models import Body, ReportRow, User
from workflow.web.security import SAFE_METHODS, require_csrf, require_csrf_header
from workflow.web.sessions import BriefCache, signin_of, touch_later
from workflow.web.tokens import token_user

ROLES = ("submitter", "reviewer", "admin")
MAX_ID = 2**31 - 1  # ids beyond a 32-bit integer never exist: refuse them before the database sees them
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class LoginRequired(Exception):
    """No (or an expired) session on a page: the handler sends the browser to the login page."""


class Forbidden(HTTPException):
    def __init__(self, message: str = "您没有权限访问此页面。") -> None:
        super().__init__(403, message)


async def _close(session: Session) -> None:
    """Closing a session that still holds a connection (a rollback and the return to the pool) runs
    in a thread, never on the event loop.

    That thread must not wait for a token of the shared pool: a request holding a connection while
    queued behind requests that wait for connections would deadlock (FastAPI gives the exit of
    its own generator dependencies a limiter of their own for the same reason)."""
    if session.in_transaction():
        await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))
    else:
        session.close()


def _sessions_from(attr: str) -> Any:
    """A dependency yielding a session from the app's factory `attr` (opening one does no I/O)."""

    async def dep(request: Request) -> AsyncIterator[Session]:
        session = getattr(request.app.state, attr)()
        try:
            yield session
        finally:
            await _close(session)

    return dep


get_db = _sessions_from("sessions")
# Pages that only read: no transaction on PostgreSQL, a snapshot that never takes the write lock on
# SQLite, writes refused (workflow.db.session.read_only).  Every route that touches the database is
# a plain `def` run in the thread pool (one concurrency model: no database work on the event loop,
# nothing awaited inside a transaction); async code here only reads the request and the caches.
get_read_db = _sessions_from("read_sessions")

DB = Annotated[Session, Depends(get_db)]
ReadDB = Annotated[Session, Depends(get_read_db)]

# Who is signed in: the server-side session behind the cookie (workflow.web.sessions), read at most
# once per CACHE_SECONDS and process, so a page view does not pay a database round trip for it; a
# logout, a password or role change and a disabled account end the session at once (in another web
# process: within CACHE_SECONDS).  The JSON API also takes a personal token (workflow.web.tokens).
USER_TTL = 10.0


class UserCache(BriefCache[int, User]):
    """A user by id, read at most once per TTL and process (the same single-flight cache)."""

    def __init__(self, sessions: sessionmaker[Session], ttl: float = USER_TTL) -> None:
        super().__init__(sessions, ttl)

    def load(self, uid: int) -> User | None:
        """Read the user in a session of its own: the cached object belongs to no request's session."""
        with self._sessions() as db:
            user = db.get(User, uid)
            db.commit()
        return user


async def _session_user(request: Request, background: BackgroundTasks) -> User | None:
    signin, touch = await signin_of(request)
    if signin is None:
        return None
    if touch:
        background.add_task(touch_later, request.app.state.sessions, signin.session_id, signin.last_seen_at)
    request.state.signin = signin
    request.state.user = signin.user
    return signin.user


# No dependency here holds a database connection: the session comes from the cache (or a short
# session of its own, a moment long), and the CSRF check reads only the session and the form.
async def page_user(request: Request, background: BackgroundTasks) -> User:
    user = await _session_user(request, background)
    if user is None:
        raise LoginRequired()
    await require_csrf(request)
    return user


async def api_user(request: Request, background: BackgroundTasks) -> User:
    header = request.headers.get("authorization")
    if header is not None:  # a machine client: the token alone, no cookie, no CSRF token
        return await token_user(request, header)
    user = await _session_user(request, background)
    if user is None:
        raise HTTPException(401, "未登录或登录已过期，请先登录，或使用 API 令牌（Authorization: Bearer …）。")
    if request.method not in SAFE_METHODS:
        await require_csrf_header(request)
    return user


async def posted_form(request: Request) -> FormData:
    """The urlencoded form, read on the event loop, so the endpoint itself can be sync."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted_form)]


async def optional_user(request: Request, background: BackgroundTasks) -> User | None:
    return await _session_user(request, background)


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


# One statement for the report, its body (the scope check) and its season (every page shows it); the
# draft (a big JSON document) is read only by the code that needs it.  Built once: Session.get would
# build and hash a new statement with its loader options on every call.
_REPORT = (
    select(ReportRow)
    .options(joinedload(ReportRow.body), joinedload(ReportRow.season), defer(ReportRow.draft))
    .where(ReportRow.id == bindparam("rid"))
)


def report_for(db: Session, user: User, report_id: int, *, edit: bool = False) -> ReportRow:
    """The report if `user` may see it (and edit it, when `edit`): 404 for unknown, 403 for others'."""
    report = db.scalars(_REPORT, {"rid": report_id}).first() if 1 <= report_id <= MAX_ID else None
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
ApiSubmitter = Annotated[User, Depends(_role(api_user, "submitter"))]
ApiReviewer = Annotated[User, Depends(_role(api_user, "reviewer", "admin"))]
ApiAdmin = Annotated[User, Depends(_role(api_user, "admin"))]
ReadReport = Annotated[ReportRow, Depends(_report(page_user, "read"))]
WriteReport = Annotated[ReportRow, Depends(_report(page_user, "write"))]
ReviewReport = Annotated[ReportRow, Depends(_report(page_user, "review"))]
ApiReadReport = Annotated[ReportRow, Depends(_report(api_user, "read"))]
ApiWriteReport = Annotated[ReportRow, Depends(_report(api_user, "write"))]
ApiReviewReport = Annotated[ReportRow, Depends(_report(api_user, "review"))]
